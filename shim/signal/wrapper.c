/* Forward-and-hold in a process that never served (see wrapper.h). */
#include "signal/wrapper.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/real.h"
#include "base/runtime.h"
#include "kernel/proctree.h"

/* The servers below a wrapper get the signal a moment after it and end by
 * their own total deadline, writing their report on the way: the wrapper
 * gives them this much more before it gives up on them. */
#define HOLD_MARGIN_NS (250 * LC_NS_PER_MS)
#define MAX_HELD 64
#define MAX_KILLED 16

/* The shutdown under way in this process (0: none). A pid, not a flag:
 * a vfork child shares this memory and must not take it for its own. */
static _Atomic pid_t shutdown_pid;
static _Atomic int first_sig;
static _Atomic pid_t first_sender;
static _Atomic int first_code;
static _Atomic int64_t first_ns;
static _Atomic int genuine_signals; /* duplicates not counted */

/* The children a hold waits for, and whether one is under way. */
static _Atomic int holding;
static pid_t held[MAX_HELD];
static _Atomic int held_count;
static _Atomic int exit_waited;

/* Targets of the program's own shutdown signals during the shutdown (a
 * trap's `kill -TERM $child`): pid > 0, or -pgid for a group. */
static _Atomic pid_t killed[MAX_KILLED];
static _Atomic int killed_count;

/* One reader at a time: the handler may run on two threads at once. */
static struct lc_proctree tree;
static _Atomic int tree_busy;

void lc_wrapper_forget_in_child(void)
{
	atomic_store(&shutdown_pid, 0);
	atomic_store(&holding, 0);
	atomic_store(&held_count, 0);
	atomic_store(&exit_waited, 0);
	atomic_store(&killed_count, 0);
	atomic_store(&genuine_signals, 0);
}

bool lc_signal_is_duplicate(int first, pid_t first_pid, int first_code_, int64_t first_at,
			    int sig, const siginfo_t *info, int64_t now_ns)
{
	if (sig != first || !info || now_ns - first_at > LC_DUPLICATE_WINDOW_NS)
		return false;
	/* The program ending itself: npm re-raises with kill() (SI_USER),
	 * node's own SIGTERM handler with raise(), a tgkill (SI_TKILL). */
	if ((info->si_code == SI_USER || info->si_code == SI_TKILL || info->si_code == SI_QUEUE) &&
	    info->si_pid == getpid())
		return false;
	return info->si_pid != first_pid || info->si_code != first_code_;
}

void lc_wrapper_note_kill(pid_t target, int sig)
{
	/* Every kill() of every process passes here: no system call unless a
	 * shutdown is under way. */
	pid_t shutdown_here = atomic_load(&shutdown_pid);
	if (shutdown_here == 0 || sigismember(&lc_rt.cfg.signals, sig) != 1 ||
	    shutdown_here != getpid())
		return;
	if (target == 0)
		target = -getpgrp();
	int slot = atomic_fetch_add(&killed_count, 1);
	if (slot < MAX_KILLED)
		atomic_store(&killed[slot], target);
}

/* --- the log --- */

static void line_signal(struct lc_line *line, int sig)
{
	char name[16];
	lc_line_str(line, lc_signal_name(sig, name));
}

/* " (node 4321, sh 4322)" */
static void line_processes(struct lc_line *line, const pid_t *pids, int n)
{
	lc_line_str(line, " (");
	for (int i = 0; i < n && i < 8; i++) {
		char comm[32];
		lc_proc_comm(pids[i], comm, sizeof comm);
		lc_line_str(line, i ? ", " : "");
		lc_line_str(line, comm);
		lc_line_str(line, " ");
		lc_line_int(line, pids[i]);
	}
	lc_line_str(line, n > 8 ? ", ...)" : ")");
}

static void line_count(struct lc_line *line, int n)
{
	lc_line_int(line, n);
	lc_line_str(line, n == 1 ? " child" : " children");
}

/* --- the hold --- */

/* As PID 1: every zombie, ours or reparented to us, is reaped. */
static void reap_zombies(void)
{
	for (int i = 0; i < 4096; i++)
		if (lc_raw_syscall6(SYS_wait4, -1, 0, WNOHANG | __WALL, 0, 0, 0) <= 0)
			return;
}

static int64_t hold_deadline(void)
{
	return atomic_load(&first_ns) + lc_rt.cfg.timeout_ns + HOLD_MARGIN_NS;
}

/* Waits for `pids` to exit (pidfds: readable at exit, reaped or not — the
 * program's own wait() still finds them), or for the deadline. Shutdown
 * signals may interrupt it (a second one is forwarded, a third ends the
 * process: lc_wrapper_signal). Returns how many are still running. */
static int hold(const pid_t *pids, int n)
{
	struct pollfd fds[MAX_HELD + 1];
	int nfds = 0;
	for (int i = 0; i < n && nfds < MAX_HELD; i++) {
		int fd = (int)lc_raw_syscall6(SYS_pidfd_open, pids[i], 0, 0, 0, 0, 0);
		if (fd >= 0)
			fds[nfds++] = (struct pollfd){.fd = fd, .events = POLLIN};
	}
	int running = nfds;

	/* The wait's signal mask: the thread's own (the handler's), with
	 * the shutdown signals let through, and SIGCHLD held for the
	 * signalfd that wakes an init to reap. */
	sigset_t mask;
	sigprocmask(SIG_SETMASK, NULL, &mask);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&lc_rt.cfg.signals, sig) == 1)
			sigdelset(&mask, sig);
	bool init = getpid() == 1;
	int chld_fd = -1;
	if (init) {
		sigset_t chld;
		sigemptyset(&chld);
		sigaddset(&chld, SIGCHLD);
		sigaddset(&mask, SIGCHLD);
		sigset_t old;
		sigprocmask(SIG_BLOCK, &chld, &old);
		chld_fd = (int)lc_raw_syscall6(SYS_signalfd4, -1, (long)&chld, _NSIG / 8,
					       SFD_NONBLOCK | SFD_CLOEXEC, 0, 0);
		if (chld_fd >= 0)
			fds[nfds] = (struct pollfd){.fd = chld_fd, .events = POLLIN};
		reap_zombies();
	}

	while (running > 0) {
		int64_t left = hold_deadline() - lc_now_ns();
		if (left <= 0)
			break;
		struct timespec ts = lc_timespec(left);
		int r = ppoll(fds, (nfds_t)(nfds + (chld_fd >= 0)), &ts, &mask);
		if (r < 0 && errno != EINTR)
			break;
		for (int i = 0; i < nfds; i++)
			if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))) {
				lc_real_close(fds[i].fd);
				fds[i].fd = -1; /* poll skips it */
				running--;
			}
		if (chld_fd >= 0 && (fds[nfds].revents & POLLIN)) {
			struct signalfd_siginfo drained[8];
			while (lc_real_read(chld_fd, drained, sizeof drained) > 0)
				;
			reap_zombies();
		}
	}
	for (int i = 0; i < nfds; i++)
		if (fds[i].fd >= 0)
			lc_real_close(fds[i].fd);
	if (chld_fd >= 0)
		lc_real_close(chld_fd);
	return running;
}

static void log_hold_end(const char *what, int sig, int still_running)
{
	struct lc_line line;
	lc_line_start(&line);
	lc_line_str(&line, what);
	if (still_running > 0) {
		lc_line_str(&line, "deadline: ");
		line_count(&line, still_running);
		lc_line_str(&line, " still running");
	} else {
		lc_line_str(&line, held_count == 1 ? "the child exited " : "the children exited ");
		lc_line_duration(&line, lc_now_ns() - atomic_load(&first_ns));
		lc_line_str(&line, " after the signal");
	}
	if (sig) {
		lc_line_str(&line, "; ending as ");
		line_signal(&line, sig);
		lc_line_str(&line, " would");
	}
	lc_line_emit(&line, still_running > 0 ? LC_LOG_WARN : LC_LOG_INFO);
}

static int hold_these(const pid_t *pids, int n)
{
	int count = n < MAX_HELD ? n : MAX_HELD;
	memcpy(held, pids, (size_t)count * sizeof *pids);
	atomic_store(&held_count, count);
	atomic_store(&holding, 1);
	int running = hold(pids, count);
	atomic_store(&holding, 0);
	return running;
}

/* --- which children --- */

static bool take_tree(void)
{
	if (atomic_exchange(&tree_busy, 1))
		return false;
	if (!lc_proc_is_ours() || lc_proctree_read(&tree) < 0) {
		atomic_store(&tree_busy, 0);
		return false;
	}
	return true;
}

static void give_tree(void)
{
	atomic_store(&tree_busy, 0);
}

/* Children that serve under lastcall or lead to a process that does. */
static int children_leading_to_servers(pid_t *out, int max)
{
	pid_t children[MAX_HELD];
	int n = lc_proctree_children(&tree, getpid(), children, MAX_HELD), found = 0;
	for (int i = 0; i < n && found < max; i++)
		if (lc_subtree_server_state(&tree, children[i], &lc_rt.cfg.signals) != LC_SERVER_NONE)
			out[found++] = children[i];
	return found;
}

static bool signalled_by_us(pid_t pid, pid_t pgid, void *unused)
{
	(void)unused;
	int n = atomic_load(&killed_count);
	for (int i = 0; i < n && i < MAX_KILLED; i++) {
		pid_t target = atomic_load(&killed[i]);
		if (target == -1 || target == pid || (target < -1 && -target == pgid))
			return true;
	}
	return lc_server_state(pid, &lc_rt.cfg.signals) == LC_SERVER_DRAINING;
}

/* Children that got a shutdown signal (from us or from anyone) and lead
 * to a lastcall server, or are one. */
static int children_draining(pid_t *out, int max)
{
	pid_t children[MAX_HELD];
	int n = lc_proctree_children(&tree, getpid(), children, MAX_HELD), found = 0;
	for (int i = 0; i < n && found < max; i++)
		if (lc_subtree_server_state(&tree, children[i], &lc_rt.cfg.signals) != LC_SERVER_NONE &&
		    lc_subtree_any(&tree, children[i], signalled_by_us, NULL))
			out[found++] = children[i];
	return found;
}

/* --- the signal --- */

static void forward(int sig, const pid_t *pids, int n)
{
	for (int i = 0; i < n; i++)
		lc_raw_syscall6(SYS_kill, pids[i], sig, 0, 0, 0, 0);
}

/* A repeat during a hold: a second one goes on to the children (they skip
 * to their exit phase), a third ends the process now. */
static enum lc_wrapper_verdict repeat_during_hold(int sig, int nth)
{
	struct lc_line line;
	lc_line_start(&line);
	lc_line_str(&line, nth == 2 ? "second " : "third ");
	line_signal(&line, sig);
	lc_line_str(&line, ": forwarded to ");
	int n = atomic_load(&held_count);
	line_count(&line, n);
	lc_line_str(&line, nth == 2 ? "" : "; exiting now");
	lc_line_emit(&line, LC_LOG_INFO);
	forward(sig, held, n);
	if (nth >= 3)
		lc_exit_group(128 + sig);
	return LC_WRAPPER_DONE;
}

static void note_first(int sig, const siginfo_t *info, int64_t now)
{
	atomic_store(&first_sig, sig);
	atomic_store(&first_sender, info ? info->si_pid : 0);
	atomic_store(&first_code, info ? info->si_code : SI_KERNEL);
	atomic_store(&first_ns, now);
	atomic_store(&genuine_signals, 1);
	atomic_store(&killed_count, 0);
	atomic_store(&shutdown_pid, getpid());
	/* A health endpoint served from here answers /ready with 503. */
	if (lc_rt.health_here)
		lc_set_phase(LC_PHASE_NOTICED);
}

enum lc_wrapper_verdict lc_wrapper_signal(int sig, const siginfo_t *info, enum lc_disp_kind kind)
{
	if (kind == LC_DISP_IGNORE)
		return LC_WRAPPER_DELIVER;
	int64_t now = lc_now_ns();
	if (atomic_load(&shutdown_pid) == getpid()) {
		if (lc_signal_is_duplicate(atomic_load(&first_sig), atomic_load(&first_sender),
					   atomic_load(&first_code), atomic_load(&first_ns), sig, info,
					   now))
			return LC_WRAPPER_DONE;
		int nth = atomic_fetch_add(&genuine_signals, 1) + 1;
		if (atomic_load(&holding))
			return repeat_during_hold(sig, nth);
	} else {
		note_first(sig, info, now);
	}
	if (kind == LC_DISP_HANDLER)
		return LC_WRAPPER_DELIVER; /* its exit will wait (lc_wrapper_before_exit) */

	pid_t servers[MAX_HELD];
	int n = 0;
	if (take_tree()) {
		n = children_leading_to_servers(servers, MAX_HELD);
		give_tree();
	}
	if (n == 0)
		/* Nothing under lastcall to wait for: the signal does what it
		 * would have done — for an init, nothing at all. */
		return getpid() == 1 ? LC_WRAPPER_DONE : LC_WRAPPER_DELIVER;

	forward(sig, servers, n);
	struct lc_line line;
	lc_line_start(&line);
	line_signal(&line, sig);
	lc_line_str(&line, ": forwarded to ");
	line_count(&line, n);
	line_processes(&line, servers, n);
	lc_line_str(&line, n == 1 ? ", holding until it exits (deadline " : ", holding until they exit (deadline ");
	lc_line_duration(&line, lc_rt.cfg.timeout_ns);
	lc_line_str(&line, getpid() == 1 ? "; as PID 1, reaping orphans meanwhile)" : ")");
	lc_line_emit(&line, LC_LOG_INFO);

	int running = hold_these(servers, n);
	if (getpid() == 1) {
		/* The kernel would drop a default-action signal for an init:
		 * end as a shell reports a death by that signal. */
		log_hold_end("", 0, running);
		lc_exit_group(128 + sig);
	}
	log_hold_end("", sig, running);
	return LC_WRAPPER_DELIVER;
}

void lc_wrapper_at_exit(void)
{
	lc_wrapper_before_exit();
}

void lc_wrapper_before_exit(void)
{
	pid_t shutdown_here = atomic_load(&shutdown_pid);
	if (shutdown_here == 0 || shutdown_here != getpid() ||
	    atomic_load(&lc_running_pid) == shutdown_here || atomic_exchange(&exit_waited, 1))
		return;
	int saved = errno;
	pid_t draining[MAX_HELD];
	int n = 0;
	if (take_tree()) {
		n = children_draining(draining, MAX_HELD);
		give_tree();
	}
	if (n > 0) {
		struct lc_line line;
		lc_line_start(&line);
		lc_line_str(&line, "exit: waiting for ");
		line_count(&line, n);
		lc_line_str(&line, " draining");
		line_processes(&line, draining, n);
		lc_line_str(&line, " (deadline ");
		int64_t left = hold_deadline() - HOLD_MARGIN_NS - lc_now_ns();
		lc_line_duration(&line, left);
		lc_line_str(&line, ")");
		lc_line_emit(&line, LC_LOG_INFO);
		log_hold_end("exit: ", 0, hold_these(draining, n));
	}
	errno = saved;
}
