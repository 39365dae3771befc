/* lastcall's own threads (drain, watchdog, health, cleanups). */
#ifndef LASTCALL_THREAD_H
#define LASTCALL_THREAD_H

#include <signal.h>

/* Starts a detached thread named `name` that takes none of the program's
 * signals, except those in `take` (may be NULL): the mask is set before
 * it exists, so no signal can land in it by accident. Returns 0 or an
 * error number. */
int lc_thread_start(const char *name, void *(*fn)(void *), void *arg, const sigset_t *take);

#endif
