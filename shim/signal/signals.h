/* Layer signal/: the program's signals. Capture (the handler records and
 * wakes), the program's own dispositions (dispositions), the hand-back
 * (this file) and the exits that end a shutdown (exits), and the
 * lastcall.h API (cleanups). May call: base/ only; a third signal reaches
 * the watchdog through base/runtime.h's forced-end request.
 *
 * Signal capture and hand-back (SPEC steps 1, 6 and 8).
 *
 * lastcall's handler only records the signal and wakes the drain thread.
 * After the drain the signal is handed to the program as if it had just
 * arrived: to its handler, to its signalfd/sigwait, or, where it had the
 * default action, by calling exit() so atexit handlers and stdio run. */
#ifndef LASTCALL_SIGNALS_H
#define LASTCALL_SIGNALS_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "signal/dispositions.h"

enum lc_handback_mode {
	LC_HANDBACK_NONE = 0,
	LC_HANDBACK_HANDLER,   /* the program's own handler runs */
	LC_HANDBACK_PENDING,   /* left pending for its signalfd/sigwait */
	LC_HANDBACK_EXIT_CALL, /* default action: lastcall calls exit() */
};

/* Installs lastcall's handler for every shutdown signal, taking the
 * program's current dispositions as its records. Idempotent. */
void lc_signals_install(void);

/* Hands the first shutdown signal back to the program. Returns the mode
 * chosen. For LC_HANDBACK_EXIT_CALL it does not return: it calls
 * exit(exit_status). */
enum lc_handback_mode lc_signals_hand_back(int exit_status);

/* Connections lastcall shuts down (idle ones in the drain, the rest at the
 * deadline) make the program's next write to them raise SIGPIPE. Most
 * naive servers never ignore it, so that write would kill the process
 * mid-drain with every request still in flight, or in its exit path.
 * From the drain on, a SIGPIPE left at its default action is caught by a
 * handler that does nothing: the write fails with EPIPE, as in any server
 * that ignores SIGPIPE. A handler rather than SIG_IGN because an ignored
 * signal stays ignored across exec, in anything the program starts. */
void lc_signals_quiet_sigpipe(void);

/* Logic behind the wrappers (wrappers.c exports them). */
int lc_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
sighandler_t lc_signal_bsd(int sig, sighandler_t handler);
sighandler_t lc_signal_sysv(int sig, sighandler_t handler);
sighandler_t lc_sigset(int sig, sighandler_t handler);
int lc_signalfd(int fd, const sigset_t *mask, int flags);
void lc_signalfd_closed(int fd);
/* Whether the program holds signalfds (one load, for the hot path of close). */
extern _Atomic int lc_signalfds_used __attribute__((visibility("hidden")));
static inline bool lc_signalfds_present(void)
{
	return atomic_load_explicit(&lc_signalfds_used, memory_order_relaxed) != 0;
}
int lc_sigwait(const sigset_t *set, int *sig);
int lc_sigwaitinfo(const sigset_t *set, siginfo_t *info);
int lc_sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout);

/* Strips shutdown signals from the program's signalfds so the kernel
 * delivers them to lastcall's handler (called at activation). */
void lc_signalfds_strip(void);

/* What the program uses to receive a signal, for the debug trace. */
bool lc_signal_has_consumer(int sig);
/* The disposition the program set for a shutdown signal (its view). */
enum lc_disp_kind lc_signals_program_disposition(int sig);
/* Who sent the first shutdown signal (0: the kernel, a terminal). */
pid_t lc_signals_sender(void);
/* After fork: no hand-back is under way in the child. */
void lc_signals_forget_in_child(void);

#endif
