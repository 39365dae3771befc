/* Life of the library in a process: the constructor checks the
 * configuration; activation (first listen or accept) installs the signal
 * handlers and starts the drain thread; fork resets it in the child. A
 * process that never listens or accepts (a shell, a CGI script the server
 * runs) never activates: lastcall stays inert there. */
#ifndef LASTCALL_LIFECYCLE_H
#define LASTCALL_LIFECYCLE_H

#include <stdatomic.h>
#include <sys/types.h>

#include "base/runtime.h"

void lc_activate_now(void);
/* Inline, called by every accept: one load when already active. */
static inline void lc_activate(void)
{
	if (__builtin_expect(atomic_load_explicit(&lc_rt.running_pid, memory_order_acquire) == 0, 0))
		lc_activate_now();
}
/* fork(): the parent remembers children forked with connections open. */
pid_t lc_fork(void);
/* The program's exit(): noted, so that lastcall never runs a second exit
 * alongside it (see lc_exit_for_default_action). */
_Noreturn void lc_exit(int status);
/* lastcall's own exit() for a signal whose default action the program
 * kept. When the program is already inside its own exit() (a thread
 * called it, a handler runs), a second exit() from here would run the rest
 * of the atexit list concurrently and end the process with lastcall's
 * status before the program's own handler finished (glibc 2.36 does not
 * serialise concurrent exit calls): the program's exit goes on instead,
 * and this thread parks (the watchdog keeps the deadline). */
_Noreturn void lc_exit_for_default_action(int status);
/* Debug trace: a listener the program created. */
void lc_trace_listener(int fd);

#endif
