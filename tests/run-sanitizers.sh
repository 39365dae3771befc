#!/bin/sh
# make sanitize: the test suites again, under the sanitizers.
#
#  1. ASan+UBSan (build/asan): the library, launcher, demo and test servers
#     and unit tests built with -fsanitize=address,undefined. The unit tests
#     run with leak checking; the whole end-to-end suite runs with that
#     library preloaded into every server, stock ones included (python,
#     node, redis, nginx, ...). The sanitizer runtime must come before libc,
#     so it is preloaded too (LASTCALL_TEST_RUNTIME): the launcher puts the
#     library in front of it, and verify_asan_link_order=0 accepts that.
#  2. TSan (build/tsan): the fault and stress suite (test_faults.py: drain
#     thread against program threads accepting, closing, forking, changing
#     handlers), and the keep-alive pool against Python's threading server
#     (a thread per connection writing responses whose HTTP/1.x framing
#     state the drain thread reads), with the TSan runtime preloaded the
#     same way. Not the rest of the suite: TSan holds a signal that
#     arrives during an uninstrumented blocking call (a C server's
#     accept, say) until the thread next enters one of its interceptors,
#     so lastcall's handler can wait forever; and node's V8 is not
#     instrumented, so TSan reports its own synchronisation as races.
#     tests/tsan.supp says which reports are TSan's model and not races.
#  3. valgrind memcheck over a demo server's shutdown (test_valgrind.py; it
#     also runs in `make test`).
#
# Every sanitizer writes its reports to files (log_path): a report from any
# process — a server, a CGI child, a forked worker — fails the run, even
# where a test did not look at that process's exit status.
set -u
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/usr/bin/python3}
CC=${CC:-cc}
jobs=$(nproc 2>/dev/null || echo 2)
failed=""

fail() { failed="$failed\n  $1"; }

# Reports a sanitizer wrote; none is a pass.
check_reports() {
	dir=$1 what=$2
	if [ -n "$(ls -A "$dir" 2>/dev/null)" ]; then
		echo "sanitize: $what wrote reports:"
		for f in "$dir"/*; do echo "--- $f"; head -60 "$f"; done
		fail "$what: sanitizer reports in $dir"
	else
		echo "sanitize: $what: no sanitizer report"
	fi
}

echo "== sanitize: ASan+UBSan build"
asan_flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
make -s -j"$jobs" BUILD=build/asan SANITIZE="$asan_flags" programs || exit 1
logs=$PWD/build/asan/reports
rm -rf "$logs" && mkdir -p "$logs"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan"

echo "== sanitize: unit tests, ASan+UBSan, leaks checked"
ASAN_OPTIONS="detect_leaks=1:log_path=$logs/asan-unit" \
	tests/run-unit.sh $(find build/asan/tests/unit -name "test_*" -type f) || fail "unit tests under ASan+UBSan"

echo "== sanitize: end-to-end suite, ASan+UBSan library in every server"
# Leaks are not checked here: they would be the servers' (python, node),
# reported at their exit, not lastcall's. The keep-alive pools run 3 times
# each here (10 in make test).
ASAN_OPTIONS="verify_asan_link_order=0:detect_leaks=0:log_path=$logs/asan" \
	LASTCALL_TEST_BUILD=build/asan LASTCALL_TEST_RUNTIME=$($CC -print-file-name=libasan.so) \
	LASTCALL_POOL_RUNS=3 \
	$PYTHON -m pytest -q -p no:cacheprovider tests/e2e || fail "end-to-end suite under ASan+UBSan"
check_reports "$logs" "ASan+UBSan"
unset UBSAN_OPTIONS

echo "== sanitize: TSan build"
make -s -j"$jobs" BUILD=build/tsan SANITIZE="-fsanitize=thread -fno-omit-frame-pointer" programs || exit 1
logs=$PWD/build/tsan/reports
rm -rf "$logs" && mkdir -p "$logs"

echo "== sanitize: fault and stress suite, keep-alive pool, TSan"
# die_after_fork=0: the fork-loop test forks a threaded program, which is
# fine for children that only exit. Time bounds stretch 3x (TSan is slow).
TSAN_OPTIONS="log_path=$logs/tsan:die_after_fork=0:suppressions=$PWD/tests/tsan.supp" \
	LASTCALL_TEST_BUILD=build/tsan LASTCALL_TEST_RUNTIME=$($CC -print-file-name=libtsan.so) \
	LASTCALL_TEST_SLOWDOWN=3 \
	LASTCALL_POOL_RUNS=3 \
	$PYTHON -m pytest -q -p no:cacheprovider tests/e2e/test_faults.py \
	"tests/e2e/test_http_keepalive.py::test_a_keepalive_pool_leaves_cleanly[python-instant]" \
	"tests/e2e/test_http_keepalive.py::test_a_keepalive_pool_leaves_cleanly[python-50ms]" \
	|| fail "fault suite and keep-alive pool under TSan"
check_reports "$logs" "TSan"

echo "== sanitize: valgrind memcheck over a demo server's shutdown"
make -s programs || exit 1
$PYTHON -m pytest -q -p no:cacheprovider tests/e2e/test_valgrind.py || fail "valgrind memcheck"

if [ -n "$failed" ]; then
	printf "sanitize: FAILED:%b\n" "$failed"
	exit 1
fi
echo "sanitize: all clean"
