/* lastcall's own threads (drain, watchdog, health, cleanups). */
#ifndef LASTCALL_THREAD_H
#define LASTCALL_THREAD_H

#include <signal.h>
#include <stddef.h>

/* Stack for lastcall's own threads, which run only its code. */
#define LC_THREAD_SMALL_STACK (256 * 1024)

/* Starts a detached thread named `name` that takes none of the program's
 * signals, except those in `take` (may be NULL): the mask is set before
 * it exists, so no signal can land in it by accident. `stack_size` 0 is
 * glibc's default, for a thread that runs the program's own code (its
 * cleanups). Returns 0 or an error number. */
int lc_thread_start(const char *name, void *(*fn)(void *), void *arg, const sigset_t *take,
		    size_t stack_size);

#endif
