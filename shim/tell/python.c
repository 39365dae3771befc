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
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/fdroom.h"
#include "base/log.h"
#include "base/real.h"

typedef const char *(*dump_threads_fn)(int fd, void *interp, void *current_tstate);
typedef int (*is_finalizing_fn)(void);
typedef const char *(*version_fn)(void);

static dump_threads_fn dump_threads;
static is_finalizing_fn is_finalizing;

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
				const char *base = strrchr(file, '/');
				struct lc_line line;
				lc_line_start(&line);
				lc_line_str(&line, "thread ");
				lc_line_int(&line, tid);
				lc_line_str(&line, " stuck in ");
				lc_line_str(&line, function);
				lc_line_str(&line, " (");
				lc_line_str(&line, base ? base + 1 : file);
				lc_line_str(&line, ":");
				lc_line_int(&line, atol(line_at + 8));
				lc_line_str(&line, ")");
				lc_line_emit(&line, LC_LOG_WARN);
			}
		}
		at = next;
	}
}
