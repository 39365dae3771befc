/* Exits at the end of a shutdown (see exits.h). */
#include "signal/exits.h"
#include "signal/wrapper.h"

#include <poll.h>
#include <sys/syscall.h>
#include <stdatomic.h>

#include "base/log.h"
#include "base/real.h"
#include "base/runtime.h"

/* A third signal said "exiting now": the watchdog is writing the report
 * and ends the process with that signal's status (exit_group, after waits
 * that are bounded). An exit() begun meanwhile, the drain thread's for a
 * default action or the program's from its handler, would run the exit
 * handlers and end the process first with another status (seen in CI:
 * exit 124 after "third SIGTERM: exiting now", the drain thread having
 * got the CPU first). It waits for that end instead. */
static void yield_to_a_forced_end(void)
{
	if (!lc_forced_end_requested())
		return;
	for (;;)
		ppoll(NULL, 0, NULL, NULL);
}

_Noreturn void lc_exit(int status)
{
	yield_to_a_forced_end();
	lc_wrapper_before_exit();
	atomic_store(&lc_rt.program_exiting, 1);
	lc_real_exit(status);
}

_Noreturn void lc_underscore_exit(int status)
{
	lc_wrapper_before_exit();
	lc_real__exit(status);
}

int lc_kill(pid_t pid, int sig)
{
	lc_wrapper_note_kill(pid, sig);
	return (int)lc_raw_syscall6(SYS_kill, pid, sig, 0, 0, 0, 0);
}

void lc_note_exit_started(void)
{
	atomic_store(&lc_rt.program_exiting, 1);
}

_Noreturn void lc_exit_for_default_action(int status)
{
	yield_to_a_forced_end();
	if (!atomic_exchange(&lc_rt.program_exiting, 1))
		lc_real_exit(status);
	lc_log2(LC_LOG_INFO, "exit: the program is already in its own exit(); it goes on", NULL);
	for (;;)
		ppoll(NULL, 0, NULL, NULL);
}
