/* Signal capture and hand-back (see signals.h). */
#include "signal/signals.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/export.h"
#include "base/log.h"
#include "base/real.h"
#include "base/runtime.h"
#include "kernel/fdscan.h"
#include "signal/dispositions.h"
#include "signal/exits.h"
#include "signal/wrapper.h"
#include "kernel/proctree.h"

/* The program's signalfds, with the full mask it asked for. The kernel
 * copy has the shutdown signals removed until the hand-back: a signalfd
 * dequeues a pending signal before any handler runs, so the drain could
 * never start otherwise. */
#define MAX_SIGNALFDS 32
static struct {
	_Atomic int fd; /* -1: free slot */
	sigset_t mask;
} signalfds[MAX_SIGNALFDS] = {[0 ... MAX_SIGNALFDS - 1] = {.fd = -1}};
/* Loaded by every close: with the rest of its data (LC_HOT_DATA). */
_Atomic int lc_signalfds_used LC_HOT_DATA(2);
/* Signals the program has waited for with sigwait/sigwaitinfo/... */
static sigset_t sigwaited;
static _Atomic int sigwaited_any;

/* The program's own view of its shutdown-signal handlers: its calls are
 * recorded here once our handler is in the kernel for cfg.signals
 * (`installed`; inherited by fork children, like the kernel's
 * dispositions themselves). */
static struct lc_disposition disp[NSIG];
static _Atomic int installed;
/* The process these records belong to. A vfork child (dash runs most
 * commands in one) shares this memory until it execs, and resets its
 * signals there: its calls must reach its own kernel table, never
 * rewrite its parent's records. */
static _Atomic pid_t records_pid;
/* The first signal's siginfo, and the hand-back under way. The whole
 * siginfo is read only after the drain thread has seen the first signal.
 * A second signal's handler can run in another thread while the first's
 * still copies it (three SIGTERMs sent back to back), so the duplicate
 * check reads the sender and code from atomics of their own, never the
 * plain struct (ThreadSanitizer caught that race). */
static siginfo_t first_info;
static _Atomic pid_t first_pid;
static _Atomic int first_code;
static _Atomic int64_t first_ns;
static _Atomic int handback_mode;
static _Atomic int handback_pending; /* signal number being handed back */

static bool lc_is_managed(int sig)
{
	return sig > 0 && sig < NSIG && atomic_load(&installed) &&
	       sigismember(&lc_rt.cfg.signals, sig) == 1 && atomic_load(&records_pid) == getpid();
}

enum lc_disp_kind lc_signals_program_disposition(int sig)
{
	return lc_disp_kind(&disp[sig]);
}

pid_t lc_signals_sender(void)
{
	int code = atomic_load(&first_code);
	return code == SI_USER || code == SI_QUEUE ? atomic_load(&first_pid) : 0;
}

void lc_signals_forget_in_child(void)
{
	atomic_store(&handback_mode, LC_HANDBACK_NONE);
	atomic_store(&handback_pending, 0);
	atomic_store(&records_pid, getpid());
}

static void on_shutdown_signal(int sig, siginfo_t *info, void *ucontext);

static void log_signal_line_at(enum lc_log_level level, const char *what, int sig, const char *rest)
{
	char name[16];
	struct lc_line line;
	lc_line_start(&line);
	lc_line_str(&line, what);
	lc_line_str(&line, lc_signal_name(sig, name));
	lc_line_str(&line, rest);
	lc_line_emit(&line, level);
}

static void log_signal_line(const char *what, int sig, const char *rest)
{
	log_signal_line_at(LC_LOG_INFO, what, sig, rest);
}

void lc_signals_install(void)
{
	if (atomic_load(&installed))
		return;
	for (int sig = 1; sig < NSIG; sig++) {
		if (sigismember(&lc_rt.cfg.signals, sig) != 1)
			continue;
		struct sigaction current, ours;
		if (lc_real_sigaction(sig, NULL, &current) < 0)
			continue;
		lc_disp_record(&disp[sig], &current);
		lc_disp_kernel_action(&disp[sig], on_shutdown_signal, &ours);
		lc_real_sigaction(sig, &ours, NULL);
	}
	atomic_store(&records_pid, getpid());
	atomic_store(&installed, 1);
}

/* --- the handler: record, wake, nothing else (async-signal-safe) --- */

static bool drain_runs_here(void)
{
	pid_t running = atomic_load(&lc_running_pid);
	return running != 0 && running == getpid();
}

/* The kernel default for a signal the program left at SIG_DFL: restore it
 * and re-raise; the signal is blocked while we are in the handler, so it
 * is delivered when the handler returns. */
static void apply_default_action(int sig)
{
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	lc_real_sigaction(sig, &dfl, NULL);
	lc_real_syscall(SYS_tgkill, getpid(), lc_real_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0), sig,
			0, 0, 0);
}

static void deliver_to_program(int sig, siginfo_t *info, void *ucontext)
{
	if (lc_disp_deliver(&disp[sig], sig, info, ucontext) == LC_DISP_DEFAULT)
		apply_default_action(sig);
}

static void on_shutdown_signal(int sig, siginfo_t *info, void *ucontext)
{
	int saved_errno = errno;

	if (atomic_load(&records_pid) != getpid()) {
		/* A vfork child before its exec: its parent's state is not its
		 * own to change; it gets what it inherited. */
		deliver_to_program(sig, info, ucontext);
		goto out;
	}
	if (!drain_runs_here()) {
		/* A process that never served: a wrapper forwards and holds
		 * (signal/wrapper.h); otherwise the program's own disposition
		 * applies, as if lastcall were not here. */
		if (lc_wrapper_signal(sig, info, lc_disp_kind(&disp[sig])) == LC_WRAPPER_DELIVER)
			deliver_to_program(sig, info, ucontext);
		goto out;
	}
	int expected = sig;
	if (atomic_compare_exchange_strong(&handback_pending, &expected, 0)) {
		/* Our own hand-back: the program sees the original siginfo.
		 * Its disposition is read again here, not where the hand-back
		 * was chosen: a thread may have set it back to the default
		 * since (a program churning its handlers; a signalfd no thread
		 * blocked after all). The default action is then lastcall's
		 * exit(), as if it had been the default all along, never a
		 * death by the signal that the drain already answered. */
		if (lc_disp_kind(&disp[sig]) == LC_DISP_DEFAULT)
			lc_wake(LC_EV_EXIT_CALL);
		else
			deliver_to_program(sig, &first_info, ucontext);
		goto out;
	}
	if (atomic_load(&handback_mode) == LC_HANDBACK_HANDLER) {
		/* The program owns its signals again (its second SIGINT, or the
		 * re-raise of a SA_RESETHAND handler like node's). */
		deliver_to_program(sig, info, ucontext);
		goto out;
	}
	if (atomic_load(&lc_rt.signals_received) == 0 &&
	    lc_disp_kind(&disp[sig]) == LC_DISP_IGNORE) {
		log_signal_line("", sig, " ignored: the program ignores it, so no drain");
		goto out;
	}

	/* A worker fed by its parent (node's cluster) that a group's signal
	 * reached first: the parent's own signal, sent once it has stopped
	 * handing over connections, is the word to drain, not a second
	 * signal (lc_children_forward). */
	if (atomic_load(&lc_rt.signals_received) > 0 && atomic_load(&lc_rt.awaiting_parent) &&
	    info && info->si_pid == getppid()) {
		atomic_store(&lc_rt.awaiting_parent, false);
		pid_t drain_tid = atomic_load(&lc_rt.drain_tid);
		if (drain_tid > 0)
			lc_name_thread(drain_tid, LC_DRAIN_THREAD_DRAINING);
		lc_wake(LC_EV_PARENT);
		goto out;
	}

	/* Read first: the first signal's handler stores it after the
	 * sender, code and time, so once it is set, they are too. */
	int first_sig = atomic_load(&lc_rt.first_signal);
	if (atomic_load(&lc_rt.signals_received) > 0 && first_sig != 0 &&
	    lc_signal_is_duplicate(first_sig, atomic_load(&first_pid), atomic_load(&first_code),
				   atomic_load(&first_ns), sig, info, lc_now_ns())) {
		/* A group's signal and its wrapper's forward of it: one
		 * shutdown, told twice. */
		log_signal_line_at(LC_LOG_DEBUG, "", sig, " again from another sender: the same shutdown");
		goto out;
	}
	int n = atomic_fetch_add(&lc_rt.signals_received, 1) + 1;
	if (n == 1) {
		first_info = *info;
		atomic_store(&first_pid, info->si_pid);
		atomic_store(&first_code, info->si_code);
		atomic_store(&first_ns, lc_now_ns());
		/* Fed connections by a parent that serves under lastcall: it
		 * tells us when it has stopped handing them over. */
		bool fed = atomic_load(&lc_rt.handed_connections) &&
			   lc_server_state(getppid(), &lc_rt.cfg.signals) != LC_SERVER_NONE;
		bool from_parent = info->si_pid == getppid();
		if (fed && !from_parent)
			atomic_store(&lc_rt.awaiting_parent, true);
		if (fed && from_parent)
			atomic_store(&lc_rt.parent_delayed, true);
		/* Tells a wrapper above that this server drains (proctree.h);
		 * one awaiting its parent still looks ready to it, so that the
		 * parent sends its word. */
		pid_t drain_tid = atomic_load(&lc_rt.drain_tid);
		if (drain_tid > 0 && !atomic_load(&lc_rt.awaiting_parent))
			lc_name_thread(drain_tid, LC_DRAIN_THREAD_DRAINING);
		atomic_store(&lc_rt.first_signal, sig);
		/* Without --delay, responses say Connection: close from this very
		 * moment, not from when the drain thread gets the CPU. */
		if ((lc_rt.cfg.delay_ns <= 0 || atomic_load(&lc_rt.parent_delayed)) &&
		    !atomic_load(&lc_rt.awaiting_parent))
			lc_start_closing();
		lc_wake(LC_EV_SIGNAL);
	} else if (n == 2) {
		log_signal_line("second ", sig, ": skipping to the exit phase");
		lc_wake(LC_EV_SKIP);
	} else if (n == 3) {
		log_signal_line("third ", sig, ": exiting now");
		/* The watchdog writes the report (no stacks: that takes
		 * hundreds of ms) and ends the process. */
		if (!lc_request_forced_end(128 + sig))
			lc_exit_group(128 + sig);
	}
	/* Any further one (a storm): the third is already ending it. */
out:
	errno = saved_errno;
}

/* --- SIGPIPE while lastcall shuts connections down --- */

static void on_sigpipe_while_draining(int sig)
{
	(void)sig; /* the write that raised it fails with EPIPE */
}

void lc_signals_quiet_sigpipe(void)
{
	if (sigismember(&lc_rt.cfg.signals, SIGPIPE) == 1)
		return; /* a shutdown signal of its own: managed already */
	struct sigaction current;
	if (lc_real_sigaction(SIGPIPE, NULL, &current) < 0 ||
	    (current.sa_flags & SA_SIGINFO) || current.sa_handler != SIG_DFL)
		return; /* the program ignores or handles it: its choice stands */
	struct sigaction quiet;
	memset(&quiet, 0, sizeof quiet);
	quiet.sa_handler = on_sigpipe_while_draining;
	sigemptyset(&quiet.sa_mask);
	quiet.sa_flags = SA_RESTART;
	lc_real_sigaction(SIGPIPE, &quiet, NULL);
	lc_log2(LC_LOG_DEBUG, "SIGPIPE: writes to connections lastcall shuts down fail with EPIPE", NULL);
}

/* --- hand-back, from the drain thread --- */

static bool signalfd_wants(int sig)
{
	for (int i = 0; i < MAX_SIGNALFDS; i++)
		if (atomic_load(&signalfds[i].fd) >= 0 && sigismember(&signalfds[i].mask, sig) == 1)
			return true;
	return false;
}

bool lc_signal_has_consumer(int sig)
{
	return signalfd_wants(sig) || (atomic_load(&sigwaited_any) && sigismember(&sigwaited, sig) == 1);
}

static void signalfds_restore(void)
{
	for (int i = 0; i < MAX_SIGNALFDS; i++) {
		int fd = atomic_load(&signalfds[i].fd);
		if (fd >= 0)
			lc_real_signalfd(fd, &signalfds[i].mask, 0);
	}
}

void lc_signalfds_strip(void)
{
	for (int i = 0; i < MAX_SIGNALFDS; i++) {
		int fd = atomic_load(&signalfds[i].fd);
		if (fd < 0)
			continue;
		sigset_t stripped = signalfds[i].mask;
		for (int sig = 1; sig < NSIG; sig++)
			if (sigismember(&lc_rt.cfg.signals, sig) == 1)
				sigdelset(&stripped, sig);
		lc_real_signalfd(fd, &stripped, 0);
	}
}

static void send_to_self(int sig)
{
	/* The drain thread blocks it, so the kernel picks a program thread,
	 * the main thread first (where Python, for one, must see it). */
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, sig);
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	atomic_store(&handback_pending, sig);
	siginfo_t info = first_info;
	if (lc_real_syscall(SYS_rt_sigqueueinfo, getpid(), sig, (long)&info, 0, 0, 0) < 0)
		lc_raw_syscall6(SYS_kill, getpid(), sig, 0, 0, 0, 0);
}

/* A handler that only sets a flag must find the thread it lands on asleep
 * in its wait, which the signal interrupts (EINTR) so that the loop sees
 * the flag at once. lastcall hands the signal back the moment the program
 * closes its last connection: the drain thread, woken by that close, can
 * preempt the program between its `while (!stop)` test and its
 * epoll_wait, and the handler then runs before the wait, which sleeps its
 * whole timeout (lighttpd: 1 s, in 17 of 62 stops). A plain SIGTERM almost
 * never lands in that window; this one is aimed at it. So it waits, at
 * most HANDBACK_SETTLE_NS, for the main thread (where the kernel delivers
 * a process-directed signal first) to be asleep. A thread going to sleep
 * signals nobody: this is a bounded poll of /proc, by necessity. */
#define HANDBACK_SETTLE_NS (10 * LC_NS_PER_MS)
#define HANDBACK_LOOK_NS (250 * 1000)

static void wait_for_main_thread_asleep(void)
{
	int64_t until = lc_now_ns() + HANDBACK_SETTLE_NS;
	while (!lc_thread_sleeping(getpid()) && lc_now_ns() < until) {
		struct timespec ts = lc_timespec(HANDBACK_LOOK_NS);
		nanosleep(&ts, NULL);
	}
}

enum lc_handback_mode lc_signals_hand_back(int exit_status)
{
	int sig = atomic_load(&lc_rt.first_signal);
	char name[16];
	struct lc_line line;

	lc_line_start(&line);
	lc_line_str(&line, "exit: ");
	if (lc_disp_kind(&disp[sig]) == LC_DISP_HANDLER) {
		lc_line_str(&line, "handing ");
		lc_line_str(&line, lc_signal_name(sig, name));
		lc_line_str(&line, " to the program's handler");
		lc_line_emit(&line, LC_LOG_INFO);
		atomic_store(&handback_mode, LC_HANDBACK_HANDLER);
		wait_for_main_thread_asleep();
		send_to_self(sig);
		return LC_HANDBACK_HANDLER;
	}
	if (lc_signal_has_consumer(sig)) {
		lc_line_str(&line, "handing ");
		lc_line_str(&line, lc_signal_name(sig, name));
		lc_line_str(&line, " to the program's signalfd/sigwait");
		lc_line_emit(&line, LC_LOG_INFO);
		atomic_store(&handback_mode, LC_HANDBACK_PENDING);
		signalfds_restore();
		send_to_self(sig);
		return LC_HANDBACK_PENDING;
	}
	lc_line_str(&line, "calling exit(");
	lc_line_int(&line, exit_status);
	lc_line_str(&line, ") for ");
	lc_line_str(&line, lc_signal_name(sig, name));
	lc_line_str(&line, " (default action)");
	lc_line_emit(&line, LC_LOG_INFO);
	atomic_store(&handback_mode, LC_HANDBACK_EXIT_CALL);
	lc_exit_for_default_action(exit_status);
}

/* --- wrapper logic --- */

int lc_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (!lc_is_managed(sig))
		return lc_real_sigaction(sig, act, old);
	struct lc_disposition *d = &disp[sig];
	if (old)
		lc_disp_read(d, old);
	if (act) {
		struct sigaction ours;
		if (lc_log_enabled(LC_LOG_DEBUG) && drain_runs_here()) {
			enum lc_disp_kind kind = lc_disp_kind_of(act);
			log_signal_line_at(LC_LOG_DEBUG, "the program sets ", sig,
					   kind == LC_DISP_DEFAULT  ? " to its default action (kept aside until the drain)"
					   : kind == LC_DISP_IGNORE ? " to ignored (kept aside until the drain)"
								    : ": its handler runs after the drain");
		}
		lc_disp_record(d, act);
		lc_disp_kernel_action(d, on_shutdown_signal, &ours);
		lc_real_sigaction(sig, &ours, NULL);
	}
	return 0;
}

sighandler_t lc_signal_bsd(int sig, sighandler_t handler)
{
	if (!lc_is_managed(sig))
		return lc_real_signal(sig, handler);
	struct sigaction act, old;
	lc_disp_from_bsd_signal(sig, handler, &act);
	lc_sigaction(sig, &act, &old);
	return lc_disp_handler_of(&old);
}

sighandler_t lc_signal_sysv(int sig, sighandler_t handler)
{
	if (!lc_is_managed(sig))
		return lc_real_sysv_signal(sig, handler);
	struct sigaction act, old;
	lc_disp_from_sysv_signal(handler, &act);
	lc_sigaction(sig, &act, &old);
	return lc_disp_handler_of(&old);
}

sighandler_t lc_sigset(int sig, sighandler_t handler)
{
	if (!lc_is_managed(sig))
		return lc_real_sigset(sig, handler);
	sigset_t one, previous;
	sigemptyset(&one);
	sigaddset(&one, sig);
	struct sigaction old;
	lc_disp_read(&disp[sig], &old);
	if (handler == SIG_HOLD) {
		sigprocmask(SIG_BLOCK, &one, &previous);
	} else {
		struct sigaction act;
		memset(&act, 0, sizeof act);
		act.sa_handler = handler;
		sigemptyset(&act.sa_mask);
		lc_sigaction(sig, &act, NULL);
		sigprocmask(SIG_UNBLOCK, &one, &previous);
	}
	return sigismember(&previous, sig) == 1 ? SIG_HOLD : lc_disp_handler_of(&old);
}

static void signalfd_remember(int fd, const sigset_t *mask)
{
	for (int i = 0; i < MAX_SIGNALFDS; i++)
		if (atomic_load(&signalfds[i].fd) == fd) {
			signalfds[i].mask = *mask;
			return;
		}
	for (int i = 0; i < MAX_SIGNALFDS; i++) {
		int expected = -1;
		signalfds[i].mask = *mask;
		if (atomic_compare_exchange_strong(&signalfds[i].fd, &expected, fd)) {
			atomic_fetch_add(&lc_signalfds_used, 1);
			return;
		}
	}
}

int lc_signalfd(int fd, const sigset_t *mask, int flags)
{
	if (!mask)
		return lc_real_signalfd(fd, mask, flags);
	sigset_t kernel_mask = *mask;
	/* Only a server's drain takes the signals from its signalfds: a
	 * process that does not serve reads them itself, as without lastcall. */
	if (atomic_load(&installed) && drain_runs_here() &&
	    atomic_load(&handback_mode) != LC_HANDBACK_PENDING)
		for (int sig = 1; sig < NSIG; sig++)
			if (lc_is_managed(sig))
				sigdelset(&kernel_mask, sig);
	int result = lc_real_signalfd(fd, &kernel_mask, flags);
	if (result >= 0) {
		signalfd_remember(result, mask);
		for (int sig = 1; sig < NSIG; sig++)
			if (sigismember(mask, sig) == 1 && sigismember(&lc_rt.cfg.signals, sig) == 1)
				log_signal_line_at(LC_LOG_DEBUG, "the program reads ", sig,
						   " through a signalfd: it gets it after the drain");
	}
	return result;
}

void lc_signalfd_closed(int fd)
{
	if (atomic_load_explicit(&lc_signalfds_used, memory_order_relaxed) == 0)
		return;
	for (int i = 0; i < MAX_SIGNALFDS; i++) {
		int expected = fd;
		if (atomic_compare_exchange_strong(&signalfds[i].fd, &expected, -1))
			atomic_fetch_sub(&lc_signalfds_used, 1);
	}
}

/* A program thread waiting in sigwait may dequeue the first shutdown
 * signal itself (the kernel unblocks the waited set during the wait).
 * Returns true when lastcall took the signal and the caller should wait
 * again; false when it belongs to the program. */
static void note_waited(const sigset_t *set)
{
	for (int s = 1; s < NSIG; s++)
		if (sigismember(set, s) == 1 && sigismember(&lc_rt.cfg.signals, s) == 1) {
			sigaddset(&sigwaited, s);
			atomic_store(&sigwaited_any, 1);
		}
}

static bool sigwait_intercepts(const sigset_t *set, int sig, siginfo_t *info)
{
	(void)set;
	if (!lc_is_managed(sig) || !drain_runs_here())
		return false;
	int expected = sig;
	if (atomic_compare_exchange_strong(&handback_pending, &expected, 0)) {
		if (info)
			*info = first_info;
		return false;
	}
	if (atomic_load(&handback_mode) != LC_HANDBACK_NONE)
		return false;
	siginfo_t local;
	memset(&local, 0, sizeof local);
	local.si_signo = sig;
	on_shutdown_signal(sig, info ? info : &local, NULL);
	return true;
}

int lc_sigwait(const sigset_t *set, int *sig)
{
	for (;;) {
		siginfo_t info;
		note_waited(set);
		int r = lc_real_sigwaitinfo(set, &info);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (!sigwait_intercepts(set, r, &info)) {
			*sig = r;
			return 0;
		}
	}
}

int lc_sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
	for (;;) {
		siginfo_t local;
		note_waited(set);
		int r = lc_real_sigwaitinfo(set, &local);
		if (r < 0)
			return r;
		if (!sigwait_intercepts(set, r, &local)) {
			if (info)
				*info = local;
			return r;
		}
	}
}

int lc_sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)
{
	for (;;) {
		siginfo_t local;
		note_waited(set);
		int r = lc_real_sigtimedwait(set, &local, timeout);
		if (r < 0)
			return r;
		if (!sigwait_intercepts(set, r, &local)) {
			if (info)
				*info = local;
			return r;
		}
	}
}
