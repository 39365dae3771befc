/* Every thread's stack of another process, for the shutdown report:
 * `lastcall --stacks PID` prints a JSON array
 *   [{"tid": 4243, "name": "worker", "frames": ["handle_request+0x42 (server)", ...]}, ...]
 *
 * Runs in a fresh process the library starts at a deadline (see report.c):
 * nothing here runs inside the wedged program. Every thread is stopped with
 * PTRACE_SEIZE + PTRACE_INTERRUPT — threads blocked in system calls too;
 * those calls restart transparently on detach — unwound with
 * libunwind-ptrace, named from the target's own ELF symbol tables
 * (launcher/symbols.c: the program, its libraries, an interpreter's C
 * frames; a name only where the symbol covers the address), then
 * released before anything is printed: the reader may be one of the
 * threads that were stopped. */
#include "launcher/stacks.h"
#include "launcher/pystacks.h"
#include "launcher/symbols.h"

#include <dirent.h>
#include <errno.h>
#include <libunwind-ptrace.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_THREADS 1024
#define MAX_FRAMES 64

struct thread_stack {
	pid_t tid;
	uint64_t thread_pointer; /* its pthread_t (x86-64: FS base); 0 unknown */
	char name[32];
	int frames;
	char frame[MAX_FRAMES][160];
};

static struct thread_stack threads[MAX_THREADS];

static void thread_name(pid_t pid, pid_t tid, char *out, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)pid, (int)tid);
	FILE *f = fopen(path, "r");
	out[0] = '\0';
	if (f) {
		if (fgets(out, (int)size, f))
			out[strcspn(out, "\n")] = '\0';
		fclose(f);
	}
}

static void print_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* glibc's pthread_t is the thread's control block, which on x86-64 the
 * FS register points to: what CPython prints as "Thread 0x...". */
static uint64_t thread_pointer(pid_t tid)
{
#if defined(__x86_64__)
	struct user_regs_struct regs;
	if (ptrace(PTRACE_GETREGS, tid, 0, &regs) == 0)
		return regs.fs_base;
#else
	(void)tid;
#endif
	return 0;
}

static void print_python(const struct lc_py_thread *py)
{
	printf(", \"python\": [");
	for (int k = 0; k < py->count; k++) {
		printf("%s{\"file\": ", k ? ", " : "");
		print_json_string(py->frames[k].file);
		printf(", \"line\": %d, \"function\": ", py->frames[k].line);
		print_json_string(py->frames[k].function);
		printf("}");
	}
	printf("]");
}

static void unwind(unw_addr_space_t space, struct thread_stack *t)
{
	void *context = _UPT_create(t->tid);
	unw_cursor_t cursor;
	if (!context)
		return;
	if (unw_init_remote(&cursor, space, context) == 0) {
		do {
			unw_word_t ip = 0;
			unw_get_reg(&cursor, UNW_REG_IP, &ip);
			if (ip == 0)
				break;
			/* Our own names: libunwind's ignore the symbol's extent. */
			lc_frame_text(ip, t->frames > 0, t->frame[t->frames], sizeof t->frame[0]);
			t->frames++;
		} while (t->frames < MAX_FRAMES && unw_step(&cursor) > 0);
	}
	_UPT_destroy(context);
}

int lc_print_stacks(pid_t pid, bool python_on_stdin)
{
	/* Read before any thread is stopped: the writer is the program. */
	if (python_on_stdin)
		lc_py_load(stdin);
	char dir[64];
	snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "lastcall: --stacks %d: %s\n", (int)pid, strerror(errno));
		return 1;
	}
	int count = 0;
	struct dirent *e;
	while ((e = readdir(d)) && count < MAX_THREADS) {
		pid_t tid = (pid_t)atoi(e->d_name);
		if (tid <= 0)
			continue;
		struct thread_stack *t = &threads[count];
		memset(t, 0, sizeof *t);
		t->tid = tid;
		thread_name(pid, tid, t->name, sizeof t->name);
		if (ptrace(PTRACE_SEIZE, tid, 0, 0) < 0)
			continue; /* gone, or not ours to look at: listed without frames */
		if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0 || waitpid(tid, NULL, __WALL) < 0) {
			ptrace(PTRACE_DETACH, tid, 0, 0);
			continue;
		}
		t->thread_pointer = thread_pointer(tid);
		t->frames = -1; /* stopped: to unwind */
		count++;
	}
	closedir(d);

	lc_symbols_load_maps(pid);
	unw_addr_space_t space = unw_create_addr_space(&_UPT_accessors, 0);
	for (int i = 0; i < count; i++) {
		threads[i].frames = 0;
		if (space)
			unwind(space, &threads[i]);
	}
	for (int i = 0; i < count; i++)
		ptrace(PTRACE_DETACH, threads[i].tid, 0, 0);
	if (space)
		unw_destroy_addr_space(space);

	putchar('[');
	for (int i = 0; i < count; i++) {
		printf("%s{\"tid\": %d, \"name\": ", i ? ", " : "", (int)threads[i].tid);
		print_json_string(threads[i].name);
		const struct lc_py_thread *py =
			threads[i].thread_pointer ? lc_py_find(threads[i].thread_pointer) : NULL;
		if (py && py->count)
			print_python(py);
		printf(", \"frames\": [");
		for (int k = 0; k < threads[i].frames; k++) {
			if (k)
				printf(", ");
			print_json_string(threads[i].frame[k]);
		}
		printf("]}");
	}
	printf("]\n");
	fflush(stdout);
	return 0;
}
