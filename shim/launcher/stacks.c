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
#include "launcher/symbols.h"

#include <dirent.h>
#include <errno.h>
#include <libunwind-ptrace.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_THREADS 1024
#define MAX_FRAMES 64

struct thread_stack {
	pid_t tid;
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

int lc_print_stacks(pid_t pid)
{
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
