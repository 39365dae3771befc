/* Python tracebacks at a deadline (see python.h).
 *
 * CPython exports _Py_DumpTracebackThreads, the function faulthandler
 * calls from a signal handler or its watchdog thread: it walks every
 * thread's frames without the GIL and writes them as text,
 *     Thread 0x00007f3a5c1ff6c0 (most recent call first):
 *       File "/srv/app.py", line 4 in fetch_embeddings
 * It is safe by the same construction as faulthandler's: it takes no
 * lock and allocates nothing. It is called from lastcall's own thread
 * only, at a deadline, not while the interpreter finalizes, never at
 * the third signal (that path takes no stacks). The launcher's --stacks
 * helper matches each "Thread 0x..." (the pthread_t, which on x86-64 is
 * the thread's FS base) to the thread it stopped, and the report's entry
 * for it gains "python". */
#include "tell/python.h"

#include <dlfcn.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/fdroom.h"
#include "base/log.h"
#include "base/real.h"
#include "base/thread.h"

typedef const char *(*dump_threads_fn)(int fd, void *interp, void *current_tstate);
typedef int (*is_finalizing_fn)(void);
typedef const char *(*version_fn)(void);
typedef int (*gil_ensure_fn)(void);
typedef void (*gil_release_fn)(int);
typedef int (*run_fn)(const char *);

static dump_threads_fn dump_threads;
static is_finalizing_fn is_finalizing;
static gil_ensure_fn gil_ensure;
static gil_release_fn gil_release;
static run_fn run_simple_string;

void lc_python_resolve(void)
{
	version_fn version = (version_fn)dlsym(RTLD_DEFAULT, "Py_GetVersion");
	dump_threads_fn dump = (dump_threads_fn)dlsym(RTLD_DEFAULT, "_Py_DumpTracebackThreads");
	if (!version || !dump)
		return;
	/* The signature above is 3.8's and later's: "3.11.2 (main, ...". */
	const char *v = version();
	if (!v || v[0] != '3' || v[1] != '.')
		return;
	int minor = atoi(v + 2);
	if (minor < 8)
		return;
	is_finalizing = (is_finalizing_fn)dlsym(RTLD_DEFAULT, "_Py_IsFinalizing");
	if (!is_finalizing)
		is_finalizing = (is_finalizing_fn)dlsym(RTLD_DEFAULT, "Py_IsFinalizing");
	gil_ensure = (gil_ensure_fn)dlsym(RTLD_DEFAULT, "PyGILState_Ensure");
	gil_release = (gil_release_fn)dlsym(RTLD_DEFAULT, "PyGILState_Release");
	run_simple_string = (run_fn)dlsym(RTLD_DEFAULT, "PyRun_SimpleString");
	dump_threads = dump;
}

int lc_python_dump(void)
{
	if (!dump_threads || (is_finalizing && is_finalizing()))
		return -1;
	int fd = LC_WITH_ROOM(memfd_create("lastcall-python", MFD_CLOEXEC));
	if (fd < 0)
		return -1;
	/* interp NULL, current_tstate NULL: the main interpreter, found the
	 * way faulthandler's watchdog finds it. */
	const char *error = dump_threads(fd, NULL, NULL);
	if (error) {
		lc_log2(LC_LOG_DEBUG, "python: no tracebacks: ", error);
		lc_real_close(fd);
		return -1;
	}
	if (lseek(fd, 0, SEEK_SET) != 0) {
		lc_real_close(fd);
		return -1;
	}
	return fd;
}

/* --- the log's lines, from the launcher's JSON --- */

/* Copies the JSON string at p (after its opening quote) into out, with
 * escapes left as written; returns the byte after the closing quote. */
static const char *json_string(const char *p, const char *end, char *out, size_t size)
{
	size_t n = 0;
	while (p < end && *p != '"') {
		if (*p == '\\' && p + 1 < end) {
			if (n + 2 < size) {
				out[n++] = p[0];
				out[n++] = p[1];
			}
			p += 2;
			continue;
		}
		if (n + 1 < size)
			out[n++] = *p;
		p++;
	}
	out[n] = '\0';
	return p < end ? p + 1 : end;
}

static const char *find(const char *p, const char *end, const char *what)
{
	size_t n = strlen(what);
	for (; p + n <= end; p++)
		if (memcmp(p, what, n) == 0)
			return p;
	return NULL;
}

/* "<who> stuck in <function> (<file's base name>:<line>)" */
static void log_stuck(const char *who, const char *function, const char *file, long line_no)
{
	const char *base = strrchr(file, '/');
	struct lc_line line;
	lc_line_start(&line);
	lc_line_str(&line, who);
	lc_line_str(&line, " stuck in ");
	lc_line_str(&line, function);
	lc_line_str(&line, " (");
	lc_line_str(&line, base ? base + 1 : file);
	lc_line_str(&line, ":");
	lc_line_int(&line, line_no);
	lc_line_str(&line, ")");
	lc_line_emit(&line, LC_LOG_WARN);
}

void lc_python_log_threads(const char *json, size_t len)
{
	const char *end = json + len;
	const char *at = find(json, end, "{\"tid\": ");
	while (at) {
		const char *next = find(at + 1, end, "{\"tid\": ");
		const char *thread_end = next ? next : end;
		long tid = atol(at + 8);
		const char *py = find(at, thread_end, "\"python\": [{\"file\": \"");
		if (py) {
			char file[256], function[128];
			const char *p = json_string(py + 21, thread_end, file, sizeof file);
			const char *line_at = find(p, thread_end, "\"line\": ");
			const char *fn_at = find(p, thread_end, "\"function\": \"");
			if (line_at && fn_at) {
				json_string(fn_at + 13, thread_end, function, sizeof function);
				char who[32];
				snprintf(who, sizeof who, "thread %ld", tid);
				log_stuck(who, function, file, atol(line_at + 8));
			}
		}
		at = next;
	}
}

/* --- asyncio tasks: Python code, under the GIL --- */

/* Every pending task of every loop, with its coroutine chain followed
 * through cr_await (a suspended task's own stack holds its outermost
 * coroutine only), as JSON on the descriptor FD. Only single quotes and
 * no backslash: it travels inside a triple-quoted literal. Silent on any
 * error (nothing on the program's stderr). */
static const char tasks_source[] =
	"def tasks(fd):\n"
	"    import os, sys\n"
	"    aio = sys.modules.get('asyncio')\n"
	"    out = []\n"
	"    pending = set()\n"
	"    for name in ('_all_tasks', '_scheduled_tasks', '_eager_tasks'):\n"
	"        found = getattr(getattr(aio, 'tasks', None), name, None)\n"
	"        if found is not None:\n"
	"            pending.update(list(found))\n"
	"    for task in pending:\n"
	"        try:\n"
	"            if task.done():\n"
	"                continue\n"
	"            frames, c = [], task.get_coro()\n"
	"            while c is not None and len(frames) < 32:\n"
	"                f = getattr(c, 'cr_frame', None) or getattr(c, 'gi_frame', None) or getattr(c, 'ag_frame', None)\n"
	"                if f is None:\n"
	"                    break\n"
	"                frames.append({'file': f.f_code.co_filename, 'line': f.f_lineno, 'function': f.f_code.co_name})\n"
	"                c = getattr(c, 'cr_await', None) or getattr(c, 'gi_yieldfrom', None) or getattr(c, 'ag_await', None)\n"
	"            frames.reverse()\n"
	"            out.append({'name': task.get_name(), 'coroutine': getattr(task.get_coro(), '__qualname__', '?'), 'frames': frames})\n"
	"        except Exception:\n"
	"            pass\n"
	"    import json\n"
	"    os.write(fd, json.dumps(out).encode())\n"
	"try:\n"
	"    tasks(FD)\n"
	"except Exception:\n"
	"    pass\n";

/* The one run that may be under way: a helper that did not get the GIL
 * in time stays blocked in PyGILState_Ensure, and runs later or never;
 * its descriptors stay open for it (closing them could hand their
 * numbers to the program, and the helper would write there). */
static struct {
	_Atomic bool busy;
	int out_fd, done_fd;
} run;

static void *tasks_helper(void *unused)
{
	(void)unused;
	char code[sizeof tasks_source + 128];
	snprintf(code, sizeof code,
		 "exec(\"\"\"%s\"\"\", {'__builtins__': __builtins__, 'FD': %d})", tasks_source,
		 run.out_fd);
	int state = gil_ensure();
	run_simple_string(code);
	gil_release(state);
	uint64_t one = 1;
	ssize_t w = lc_real_write(run.done_fd, &one, sizeof one);
	(void)w;
	return NULL;
}

int lc_python_tasks(int64_t budget_ns, char *out, size_t size, const char **why_not)
{
	*why_not = NULL;
	if (!gil_ensure || !gil_release || !run_simple_string || !dump_threads)
		return -1; /* not CPython */
	if (is_finalizing && is_finalizing()) {
		*why_not = "the interpreter is finalizing";
		return -1;
	}
	if (atomic_load(&run.busy)) {
		*why_not = "the GIL was not available (an earlier look still waits for it)";
		return -1;
	}
	run.out_fd = LC_WITH_ROOM(memfd_create("lastcall-tasks", MFD_CLOEXEC));
	run.done_fd = LC_WITH_ROOM(eventfd(0, EFD_CLOEXEC));
	if (run.out_fd < 0 || run.done_fd < 0)
		goto gone;
	atomic_store(&run.busy, true);
	if (lc_thread_start("lastcall-py", tasks_helper, NULL, NULL, 0) != 0) {
		atomic_store(&run.busy, false);
		goto gone;
	}
	struct pollfd p = {.fd = run.done_fd, .events = POLLIN};
	struct timespec ts = lc_timespec(budget_ns > 0 ? budget_ns : 0);
	int ready;
	while ((ready = ppoll(&p, 1, &ts, NULL)) < 0)
		;
	if (ready == 0) {
		*why_not = "the GIL was not available in time (a thread holds it in C code)";
		return -1; /* run.busy stays: the helper owns its descriptors */
	}
	size_t len = 0;
	ssize_t got;
	if (lseek(run.out_fd, 0, SEEK_SET) == 0)
		while (len + 1 < size &&
		       (got = lc_real_read(run.out_fd, out + len, size - 1 - len)) > 0)
			len += (size_t)got;
	out[len] = '\0';
	lc_real_close(run.out_fd);
	lc_real_close(run.done_fd);
	atomic_store(&run.busy, false);
	if (len == 0 || out[0] != '[' || out[len - 1] != ']')
		return -1; /* cut short or nothing written */
	return (int)len;
gone:
	if (run.out_fd >= 0)
		lc_real_close(run.out_fd);
	if (run.done_fd >= 0)
		lc_real_close(run.done_fd);
	return -1;
}

void lc_python_log_tasks(const char *json, size_t len)
{
	const char *end = json + len;
	for (const char *at = find(json, end, "{\"name\": \""); at;
	     at = find(at + 1, end, "{\"name\": \"")) {
		const char *next = find(at + 1, end, "{\"name\": \"");
		const char *task_end = next ? next : end;
		char name[96], file[256] = "", function[128] = "";
		long line_no = 0;
		json_string(at + 10, task_end, name, sizeof name);
		/* The innermost frame of the program's own, past asyncio's. */
		for (const char *f = find(at, task_end, "{\"file\": \""); f;
		     f = find(f + 1, task_end, "{\"file\": \"")) {
			char this_file[256];
			const char *p = json_string(f + 10, task_end, this_file, sizeof this_file);
			if (strstr(this_file, "/asyncio/") && file[0])
				continue;
			const char *l = find(p, task_end, "\"line\": ");
			const char *fn = find(p, task_end, "\"function\": \"");
			if (!l || !fn)
				break;
			memcpy(file, this_file, sizeof file);
			line_no = atol(l + 8);
			json_string(fn + 13, task_end, function, sizeof function);
			if (!strstr(this_file, "/asyncio/"))
				break;
		}
		if (!function[0])
			continue;
		char who[128];
		snprintf(who, sizeof who, "task %s", name);
		log_stuck(who, function, file, line_no);
	}
}
