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
	if (__builtin_expect(atomic_load_explicit(&lc_running_pid, memory_order_acquire) == 0, 0))
		lc_activate_now();
}
/* fork(): the parent remembers children forked with connections open. */
pid_t lc_fork(void);
/* Debug trace: a listener the program created. */
void lc_trace_listener(int fd);

#endif
