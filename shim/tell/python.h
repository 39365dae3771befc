/* Where a CPython program's threads are, in Python's words, for the
 * shutdown report and the log (see python.c). */
#ifndef LASTCALL_PYTHON_H
#define LASTCALL_PYTHON_H

#include <stddef.h>

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

#endif
