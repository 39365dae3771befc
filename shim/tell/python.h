/* Where a CPython program's threads are, in Python's words, for the
 * shutdown report and the log (see python.c). */
#ifndef LASTCALL_PYTHON_H
#define LASTCALL_PYTHON_H

#include <stddef.h>
#include <stdint.h>

/* Looks up the interpreter's functions, if the process runs CPython 3.8
 * or later. From lastcall's drain thread when it notices the signal:
 * never at a deadline (dlsym takes the loader's lock, which a stuck
 * program thread may hold). */
void lc_python_resolve(void);

/* Every Python thread's traceback, as faulthandler writes it, in a memfd
 * read from its start; -1 when the process runs no (usable) CPython or
 * its interpreter is finalizing. From lastcall's own thread only. */
int lc_python_dump(void);

/* Logs, for each thread of the stacks JSON that has Python frames, its
 * innermost one: "thread 4012 stuck in fetch_embeddings (app.py:4)". */
void lc_python_log_threads(const char *threads_json, size_t len);

/* Every pending asyncio task (name, coroutine, frames most recent first)
 * as a JSON array in out; its length, or -1 with *why_not set when the
 * GIL could not be taken within budget_ns (a thread holds it in C code)
 * or NULL when there is nothing to say (not CPython). Runs Python code
 * in a thread of lastcall's, under the GIL: from lastcall's own thread,
 * at a deadline, never at the third signal. */
int lc_python_tasks(int64_t budget_ns, char *out, size_t size, const char **why_not);

/* Logs each task's innermost frame of the program's own (asyncio's
 * frames skipped): "task Task-7 stuck in slow_embeddings (app.py:12)". */
void lc_python_log_tasks(const char *tasks_json, size_t len);

#endif
