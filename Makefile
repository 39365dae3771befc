# lastcall — graceful shutdown for servers that were never written for it.
# make            build/liblastcall.so and build/lastcall
# make test       layer check, unit + end-to-end tests (installs missing Debian packages as root)
# make demo       plain SIGTERM vs lastcall, side by side
# make bench      what it costs while serving, how fast it ends (bench/)
# make fuzz       libFuzzer on every parser, FUZZ_SECONDS each (tests/fuzz/)
# make sanitize   unit + end-to-end under ASan+UBSan, a TSan run, valgrind
# make install    PREFIX=/usr/local

CC ?= cc
# Debian's python3, where apt installs pytest (a pyenv python3 on PATH has none).
PYTHON ?= /usr/bin/python3
PREFIX ?= /usr/local
# Where the system's python3 finds python/lastcall.py: Debian's own
# modules live in /usr/lib/python3/dist-packages, local ones in
# /usr/local/lib/python3.X/dist-packages (the /usr/local/lib/python3 one
# is not on its path).
PYTHON_DIR ?= $(if $(filter /usr,$(PREFIX)),$(PREFIX)/lib/python3/dist-packages,$(PREFIX)/lib/python$(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')/dist-packages)
BUILD := build
WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
BASE_CFLAGS := -std=gnu11 $(WARN) -D_GNU_SOURCE -Ishim
# No padding before jump targets, labels and loops: the code a keep-alive
# request runs must fit one page (tests/hot_pages.py; a TLB miss per page
# after each system call on the project's VM, doc/performance.md), and
# GCC's -O2 padding was 180 of its bytes. It also takes 5 KiB off the
# library. Only where the compiler knows the flags (clang does not).
PACK_CODE := -falign-jumps=1 -falign-labels=1 -falign-loops=1
PACK_CODE := $(shell $(CC) $(PACK_CODE) -Werror -x c -fsyntax-only /dev/null 2>/dev/null && \
	echo $(PACK_CODE))
LIB_CFLAGS := $(BASE_CFLAGS) -fPIC -fvisibility=hidden $(PACK_CODE)
SANITIZE ?=

# The library's layers, bottom up (doc/design.md): each folder uses only
# the folders before it, checked at link level by tests/layers.py.
LAYERS := base kernel judge proto track signal tell drain hook
LIB_SRCS := $(foreach layer,$(LAYERS),$(wildcard shim/$(layer)/*.c))
LIB_OBJS := $(patsubst shim/%.c,$(BUILD)/lib/%.o,$(LIB_SRCS))
LIB_HDRS := $(wildcard shim/*.h shim/*/*.h)
LAUNCHER_SRCS := $(wildcard shim/launcher/*.c) shim/base/config.c
LAUNCHER_OBJS := $(patsubst shim/%.c,$(BUILD)/launcher/%.o,$(LAUNCHER_SRCS))

UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/unit/%,$(wildcard tests/unit/*/test_*.c))
DEMO_BINS := $(BUILD)/demo/naive_server $(BUILD)/demo/token_stream
FUZZ_TARGETS := duration signal_list health_addr health_request env http1_framing http1_rewrite h2_goaway frames
FUZZ_BINS := $(addprefix $(BUILD)/fuzz/fuzz_,$(FUZZ_TARGETS))
FUZZ_SECONDS ?= 20
BENCH_BINS := $(BUILD)/bench/calls $(BUILD)/bench/hold_server $(BUILD)/bench/thread_server \
	      $(BUILD)/bench/after_syscall \
	      $(BUILD)/bench/kernel_stub.so \
	      $(BUILD)/bench/null_interposer.so $(BUILD)/bench/liblastcall-noframing.so
TEST_SERVERS := $(patsubst tests/e2e/servers/%.c,$(BUILD)/tests/servers/%,$(wildcard tests/e2e/servers/*.c))

.PHONY: build-deps demo-deps all programs layers test unit e2e demo bench fuzz run-fuzz sanitize install clean deps bench-deps fuzz-deps
all: build-deps $(BUILD)/liblastcall.so $(BUILD)/lastcall $(DEMO_BINS)

$(BUILD)/lib/%.o: shim/%.c $(LIB_HDRS) | build-deps
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) $(CFLAGS) $(SANITIZE) -c $< -o $@

$(BUILD)/launcher/%.o: shim/%.c $(LIB_HDRS) | build-deps
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(SANITIZE) -c $< -o $@

# shim/base/hot.ld: the serving path's code and data on two pages (base/export.h).
$(BUILD)/liblastcall.so: $(LIB_OBJS) shim/base/hot.ld
	$(CC) -shared $(CFLAGS) $(SANITIZE) -Wl,--no-undefined -Wl,-T,shim/base/hot.ld -o $@ \
		$(LIB_OBJS) -ldl -lpthread

$(BUILD)/lastcall: $(LAUNCHER_OBJS)
	$(CC) $(CFLAGS) $(SANITIZE) -o $@ $^ -lunwind-ptrace -lunwind-generic -lunwind

$(BUILD)/demo/%: demo/%.c | $(BUILD)/demo
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(SANITIZE) -o $@ $< -lpthread

$(BUILD)/tests/servers/%: tests/e2e/servers/%.c | $(BUILD)/tests/servers
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(SANITIZE) -o $@ $< -lpthread

# Frames without a covering symbol (tests/e2e/test_report.py): exported
# functions kept, the rest stripped, the way Debian ships python3.11.
$(BUILD)/tests/servers/stuck_static_server: tests/e2e/servers/stuck_static_server.c | $(BUILD)/tests/servers
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -g -O1 -fno-toplevel-reorder -rdynamic -o $@ $< -lpthread
	strip --strip-all -o $@.stripped $@

# Unit tests link the library's sources directly (no preload).
$(BUILD)/tests/unit/%: tests/unit/%.c tests/proto_test.h $(wildcard tests/unit/*/*_test.h) $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(SANITIZE) -o $@ $< $(filter-out $(BUILD)/lib/hook/wrappers.o,$(LIB_OBJS)) -lcmocka -ldl -lpthread

# The launcher's own units (frame names) link its object alone.
$(BUILD)/tests/unit/launcher/%: tests/unit/launcher/%.c $(BUILD)/launcher/launcher/symbols.o
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(CFLAGS) $(SANITIZE) -o $@ $< $(BUILD)/launcher/launcher/symbols.o -lcmocka

$(BUILD)/bench/%: bench/%.c | $(BUILD)/bench
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $< -lpthread

# Preloaded by bench/run.py beside (or instead of) the library.
$(BUILD)/bench/%.so: bench/%.c | $(BUILD)/bench
	$(CC) $(BASE_CFLAGS) $(CFLAGS) -fPIC -shared -fvisibility=hidden -o $@ $< -ldl

# lastcall without its HTTP/1.x framing (shim/proto/http1.c,
# LC_BENCH_NO_FRAMING): bench/run.py's step "framing" tells the framing's
# cost from the rest of lastcall's.
NOFRAMING_OBJS := $(filter-out $(BUILD)/lib/proto/http1.o,$(LIB_OBJS)) \
		  $(BUILD)/bench/noframing/http1.o
$(BUILD)/bench/noframing/http1.o: shim/proto/http1.c $(LIB_HDRS) | $(BUILD)/bench
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) $(CFLAGS) -DLC_BENCH_NO_FRAMING -c $< -o $@

$(BUILD)/bench/liblastcall-noframing.so: $(NOFRAMING_OBJS) shim/base/hot.ld
	$(CC) -shared $(CFLAGS) -Wl,--no-undefined -Wl,-T,shim/base/hot.ld -o $@ \
		$(NOFRAMING_OBJS) -ldl -lpthread

# The parsers alone, built with clang's libFuzzer, ASan and UBSan.
FUZZ_SRCS := shim/base/config.c shim/tell/health_request.c
FUZZ_FLAGS := $(BASE_CFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
$(BUILD)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_common.h $(FUZZ_SRCS) $(LIB_HDRS) | $(BUILD)/fuzz
	clang $(FUZZ_FLAGS) -o $@ $< $(FUZZ_SRCS)

# The HTTP/1.x tracker against llhttp, node's parser: its C sources come
# with Debian's node-llhttp and are compiled into this fuzzer only.
LLHTTP_DIR := /usr/share/llhttp
PROTO_SRCS := shim/proto/http1.c shim/proto/http1_send.c shim/proto/send.c shim/proto/h2.c shim/proto/h2_send.c shim/proto/ws.c
$(BUILD)/fuzz/fuzz_http1_framing: tests/fuzz/fuzz_http1_framing.c $(PROTO_SRCS) $(LIB_HDRS) | $(BUILD)/fuzz
	clang $(FUZZ_FLAGS) -I/usr/share/include/llhttp -Wno-unused-parameter -o $@ $< $(PROTO_SRCS) \
		$(LLHTTP_DIR)/llhttp.c $(LLHTTP_DIR)/api.c $(LLHTTP_DIR)/http.c

$(BUILD)/fuzz/fuzz_http1_rewrite: tests/fuzz/fuzz_http1_rewrite.c tests/proto_test.h $(PROTO_SRCS) $(LIB_HDRS) | $(BUILD)/fuzz
	clang $(FUZZ_FLAGS) -o $@ $< $(PROTO_SRCS)

# HTTP/2 and WebSocket frames, whole against cut.
$(BUILD)/fuzz/fuzz_frames: tests/fuzz/fuzz_frames.c tests/proto_test.h $(PROTO_SRCS) $(LIB_HDRS) | $(BUILD)/fuzz
	clang $(FUZZ_FLAGS) -o $@ $< $(PROTO_SRCS)

# HTTP/2 frames and lastcall's GOAWAY under partial writes.
$(BUILD)/fuzz/fuzz_h2_goaway: tests/fuzz/fuzz_h2_goaway.c tests/proto_test.h $(PROTO_SRCS) $(LIB_HDRS) | $(BUILD)/fuzz
	clang $(FUZZ_FLAGS) -o $@ $< $(PROTO_SRCS)

$(BUILD)/demo $(BUILD)/tests/servers $(BUILD)/bench $(BUILD)/fuzz:
	mkdir -p $@

# Everything the test suites run, for the build directory in BUILD.
programs: all $(UNIT_TESTS) $(TEST_SERVERS)

deps:
	@tests/install-deps.sh

# A fresh machine: every target installs what it needs first (as root),
# or names the packages in one line.
build-deps:
	@tests/install-deps.sh build

demo-deps:
	@tests/install-deps.sh demo

bench-deps:
	@tests/install-deps.sh bench

fuzz-deps:
	@tests/install-deps.sh fuzz

unit: deps $(UNIT_TESTS)
	@tests/run-unit.sh $(UNIT_TESTS)

e2e: deps all $(TEST_SERVERS)
	@$(PYTHON) -m pytest -q tests/e2e $(PYTEST_ARGS)

# Every use between objects runs down the layers (tests/layers.py); the
# serving core, the connection path and their data are on one page each
# (tests/hot_pages.py).
layers: all
	@$(PYTHON) tests/layers.py $(BUILD)/lib $(LAYERS)
	@$(PYTHON) tests/layers.py $(BUILD)/launcher base launcher
	@$(PYTHON) tests/hot_pages.py $(BUILD)/liblastcall.so

test: deps
	$(MAKE) programs
	@$(MAKE) --no-print-directory layers
	@tests/run-unit.sh $(UNIT_TESTS)
	@$(PYTHON) -m pytest tests/e2e $(PYTEST_ARGS)

demo: demo-deps all
	@$(PYTHON) demo/side_by_side.py

# Each target runs FUZZ_SECONDS from its kept corpus (tests/fuzz/corpus/);
# what it finds goes to build/fuzz/, a crash stops make with the input.
fuzz: fuzz-deps
	@$(MAKE) --no-print-directory run-fuzz

run-fuzz: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
		mkdir -p $(BUILD)/fuzz/corpus-$$t; \
		if $(BUILD)/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/fuzz/$$t- \
			$(BUILD)/fuzz/corpus-$$t tests/fuzz/corpus/$$t > $(BUILD)/fuzz/$$t.log 2>&1; \
		then echo "fuzz $$t: $$(grep -o 'number_of_executed_units: *[0-9]*' $(BUILD)/fuzz/$$t.log | grep -o '[0-9]*') runs, no crash"; \
		else tail -40 $(BUILD)/fuzz/$$t.log; echo "fuzz $$t: FAILED (input in $(BUILD)/fuzz/$$t-*)"; exit 1; fi; \
	done

# Each build its own directory: build/asan (ASan+UBSan), build/tsan.
sanitize: deps
	@tests/run-sanitizers.sh

bench: bench-deps all $(BENCH_BINS)
	@$(PYTHON) bench/run.py
	@$(PYTHON) bench/plot.py

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/lastcall $(DESTDIR)$(PREFIX)/bin/lastcall
	install -m 0755 $(BUILD)/liblastcall.so $(DESTDIR)$(PREFIX)/lib/liblastcall.so
	install -m 0644 shim/lastcall.h $(DESTDIR)$(PREFIX)/include/lastcall.h
	install -m 0644 doc/lastcall.1 $(DESTDIR)$(PREFIX)/share/man/man1/lastcall.1
	install -d $(DESTDIR)$(PYTHON_DIR)
	install -m 0644 python/lastcall.py $(DESTDIR)$(PYTHON_DIR)/lastcall.py

clean:
	rm -rf $(BUILD)
