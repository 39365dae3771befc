/* The shutdown path (see drain.h). Reads in the order things happen. */
#include "base/real.h"
#include "drain/drain.h"
#include "track/fdtable.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/config.h"
#include "base/log.h"
#include "base/runtime.h"
#include "drain/watchdog.h"
#include "kernel/proctree.h"
#include "kernel/sockdiag.h"
#include "signal/cleanups.h"
#include "signal/shutdown_fd.h"
#include "signal/exits.h"
#include "signal/signals.h"
#include "tell/health.h"
#include "tell/python.h"
#include "tell/report.h"
#include "track/children.h"
#include "track/connections.h"
#include "track/leaving.h"
#include "track/listeners.h"

/* Handshakes whose SYN was answered before the filter went on complete
 * within one round trip; this waits for their final ACKs (LINUX-NOTES:
 * zero lost on loopback with a few ms). Longer round trips lose nothing
 * when --delay has already taken the instance out of rotation. */
#define HANDSHAKE_GRACE_NS (20 * LC_NS_PER_MS)
/* Busy connections turn idle without any event the kernel can deliver
 * (an ACK emptying the send queue wakes nobody), so they are looked at
 * again on this tick while, and only while, some remain busy. Closes and
 * accepts wake the drain at once through the wrappers. */
#define BUSY_RECHECK_NS (10 * LC_NS_PER_MS)
/* A half-open connection (sockdiag.h) completes when the client's
 * retransmission finds room in the accept queue: within about a second.
 * One whose client is gone would hold the stop for a minute of SYN-ACK
 * retries; after this long they are no longer waited for.
 * Clients whose final ACK a full accept queue dropped after a SYN cookie
 * left no trace on the server at all: they cannot be counted, only given
 * time. They retransmit on their own timers: a tail loss probe about
 * 200 ms after their request, then a timeout measured here (tcpi_rto on
 * loopback) between 0.6 s and 2.4 s. So a listener that dropped segments
 * is kept for this whole patience (README, Limits). */
#define HALF_OPEN_PATIENCE_NS (2000 * LC_NS_PER_MS)
/* Stack traces at a deadline come from a helper process (report.c); it is
 * given this long, and never the last moments before the total deadline. */
#define STACKS_BUDGET_NS (800 * LC_NS_PER_MS)
#define STACKS_MARGIN_NS (100 * LC_NS_PER_MS)

struct lc_deadlines lc_deadlines_from(const struct lc_config *cfg, int64_t signal_ns)
{
	struct lc_deadlines d = {
		.delay_end_ns = signal_ns + cfg->delay_ns,
		.drain_ns = signal_ns + cfg->drain_timeout_ns,
		.total_ns = signal_ns + cfg->timeout_ns,
	};
	return d;
}

int64_t lc_wait_budget(int64_t now_ns, int64_t deadline_ns, int64_t next_check_ns,
		       int64_t tick_ns)
{
	int64_t until = deadline_ns;
	if (next_check_ns > 0 && (until < 0 || next_check_ns < until))
		until = next_check_ns;
	if (tick_ns > 0 && (until < 0 || now_ns + tick_ns < until))
		until = now_ns + tick_ns;
	if (until < 0)
		return -1;
	return until > now_ns ? until - now_ns : 0;
}

/* Sleeps until an event arrives, one of `extra` polls ready, or
 * `budget_ns` passes (-1: no limit). Returns the events received. */
static int wait_for_events_or(int64_t budget_ns, const int *extra_fds, int n_extra)
{
	int events = atomic_exchange(&lc_rt.events, 0);
	if (events)
		return events;
	struct pollfd pfd[1 + LC_MAX_LISTENERS];
	int n = 0;
	pfd[n++] = (struct pollfd){.fd = lc_rt.wake_fd, .events = POLLIN};
	for (int i = 0; i < n_extra && n < 1 + LC_MAX_LISTENERS; i++)
		pfd[n++] = (struct pollfd){.fd = extra_fds[i], .events = POLLIN};
	struct timespec ts = lc_timespec(budget_ns < 0 ? 0 : budget_ns);
	int r = ppoll(pfd, (nfds_t)n, budget_ns < 0 ? NULL : &ts, NULL);
	if (r > 0 && pfd[0].revents) {
		uint64_t count;
		ssize_t ignored = lc_real_read(lc_rt.wake_fd, &count, sizeof count);
		(void)ignored;
	}
	return atomic_exchange(&lc_rt.events, 0);
}

static int wait_for_events(int64_t budget_ns)
{
	return wait_for_events_or(budget_ns, NULL, 0);
}

/* "node 43": a process as the log names it. */
static void line_process(struct lc_line *line, pid_t pid)
{
	char comm[32];
	lc_proc_comm(pid, comm, sizeof comm);
	lc_line_str(line, comm);
	lc_line_str(line, " ");
	lc_line_int(line, pid);
}

static void log_notice(int sig, long connections, int children, int64_t total_ns)
{
	char name[16];
	struct lc_line line;
	lc_line_start(&line);
	lc_line_str(&line, lc_signal_name(sig, name));
	lc_line_str(&line, ": draining ");
	lc_line_int(&line, connections);
	lc_line_str(&line, connections == 1 ? " connection" : " connections");
	if (children > 0) {
		lc_line_str(&line, " and ");
		lc_line_int(&line, children);
		lc_line_str(&line, children == 1 ? " child holding connections" : " children holding connections");
	}
	lc_line_str(&line, " (deadline ");
	lc_line_duration(&line, total_ns);
	/* Who sent it: an orchestrator, a wrapper's forward (signal/wrapper.h). */
	pid_t sender = lc_signals_sender();
	if (sender > 0) {
		lc_line_str(&line, "; sent by ");
		line_process(&line, sender);
	}
	lc_line_str(&line, ")");
	lc_line_emit(&line, LC_LOG_INFO);
}

/* The children lc_children_forward told, one line. */
static void log_forwarded(int sig, const pid_t *pids, int n, int shown)
{
	char name[16];
	struct lc_line line;
	lc_line_start(&line);
	lc_line_str(&line, lc_signal_name(sig, name));
	lc_line_str(&line, ": ");
	lc_line_int(&line, n);
	lc_line_str(&line, n == 1 ? " child serves under lastcall (" : " children serve under lastcall (");
	for (int i = 0; i < shown; i++) {
		lc_line_str(&line, i ? ", " : "");
		line_process(&line, pids[i]);
	}
	lc_line_str(&line, n > shown ? ", ...)" : ")");
	lc_line_str(&line, n == 1 ? ": it drains its own connections; waiting until it exits"
				  : ": each drains its own connections; waiting until they exit");
	lc_line_emit(&line, LC_LOG_INFO);
}

static void log_count(const char *before, long n, const char *after)
{
	struct lc_line line;
	lc_line_start(&line);
	lc_line_str(&line, before);
	lc_line_int(&line, n);
	lc_line_str(&line, after);
	lc_line_emit(&line, LC_LOG_INFO);
}

/* The hand-back found the signal at its default action after all: the
 * program set it back, or no thread blocked it for its signalfd. */
static void log_default_after_all(int status)
{
	char name[16];
	struct lc_line line;
	lc_line_start(&line);
	lc_line_str(&line, "exit: ");
	lc_line_str(&line, lc_signal_name(atomic_load(&lc_rt.first_signal), name));
	lc_line_str(&line, " met its default action after all: calling exit(");
	lc_line_int(&line, status);
	lc_line_str(&line, ")");
	lc_line_emit(&line, LC_LOG_INFO);
}

/* A listener whose accept queue overflowed before the stop (a backlog too
 * small for its load): the operator learns why the stop takes longer, and
 * what to change. */
static void log_dropped_handshakes(const struct lc_listener *l, long drops)
{
	long backlog = lc_listener_backlog_limit(l);
	struct lc_line line;
	lc_line_start(&line);
	lc_line_str(&line, "stopping: ");
	lc_line_str(&line, l->local);
	lc_line_str(&line, " overflowed");
	if (backlog >= 0) {
		lc_line_str(&line, " its backlog of ");
		lc_line_int(&line, backlog);
	}
	lc_line_str(&line, " (");
	lc_line_int(&line, drops);
	lc_line_str(&line, drops == 1 ? " segment dropped)" : " segments dropped)");
	lc_line_str(&line, ": keeping it ");
	lc_line_duration(&line, HALF_OPEN_PATIENCE_NS);
	lc_line_str(&line, " for clients that retransmit");
	lc_line_emit(&line, LC_LOG_INFO);
}

static void set_phase(enum lc_phase phase)
{
	lc_set_phase(phase);
}

/* Step 2: keep serving for --delay (readiness already fails). */
static bool serve_during_delay(const struct lc_deadlines *d)
{
	if (lc_rt.cfg.delay_ns <= 0)
		return true;
	set_phase(LC_PHASE_DELAY);
	struct lc_line line;
	lc_line_start(&line);
	lc_line_str(&line, "delay: serving ");
	lc_line_duration(&line, lc_rt.cfg.delay_ns);
	lc_line_str(&line, " more before closing listeners");
	lc_line_emit(&line, LC_LOG_INFO);
	for (;;) {
		int64_t now = lc_now_ns();
		if (now >= d->delay_end_ns)
			return true;
		if (wait_for_events(d->delay_end_ns - now) & LC_EV_SKIP)
			return false;
	}
}

#define AWAIT_PARENT_TICK_NS (20 * LC_NS_PER_MS)

/* A worker fed connections by its parent, signalled by someone else (a
 * group's signal): it serves on, as in the delay, until the parent sends
 * its word (it has stopped handing over connections) or the drain
 * deadline. Returns false on a second signal. */
static bool await_parent(const struct lc_deadlines *d)
{
	struct lc_line line;
	lc_line_start(&line);
	lc_line_str(&line, "serving on until the parent (");
	line_process(&line, getppid());
	lc_line_str(&line, ") has stopped handing over connections");
	lc_line_emit(&line, LC_LOG_INFO);
	for (;;) {
		int64_t now = lc_now_ns();
		if (!atomic_load(&lc_rt.awaiting_parent) || now >= d->drain_ns ||
		    lc_server_listeners_closed(getppid()))
			break;
		/* The word is a signal (it wakes us), but a standard signal
		 * sent while the same one is still pending here is merged
		 * into it: a word that came before our handler took the
		 * group's signal is lost. The parent's drain thread name says
		 * the same (proctree.h); the tick reads it. */
		int64_t budget = d->drain_ns - now < AWAIT_PARENT_TICK_NS ? d->drain_ns - now
									  : AWAIT_PARENT_TICK_NS;
		if (wait_for_events(budget) & LC_EV_SKIP)
			return false;
	}
	atomic_store(&lc_rt.awaiting_parent, false);
	atomic_store(&lc_rt.parent_delayed, true);
	lc_name_thread(atomic_load(&lc_rt.drain_tid), LC_DRAIN_THREAD_DRAINING);
	lc_start_closing();
	return true;
}

/* Should this listener still be waited for before the stop? Owned ones:
 * while connections sit in their queue or half-open. Inherited ones
 * (a prefork worker's): while the owner, shutting down too, has not
 * stopped them yet — this process keeps accepting their backlog. */
static long still_waiting(struct lc_listener *l, int64_t now, int64_t half_open_until,
			  bool *queue_empty)
{
	*queue_empty = true;
	if (l->role == LC_LISTENER_INHERITED) {
		/* Once the owner shuts the listener down, a thread of ours
		 * blocked in accept() on it is woken with EINVAL and the
		 * accept wrapper points the fd at a stand-in (which listens,
		 * on an address nobody reaches): that is the owner's stop. */
		struct lc_fd_snapshot now_there;
		if (lc_fdtable_get(&lc_table, l->fd, &now_there) &&
		    now_there.kind == LC_FD_STOPPED_LISTENER)
			return 0;
		return lc_owner_phase(l->owner) >= LC_PHASE_NOTICED && lc_still_listening(l->fd);
	}
	if (l->role != LC_LISTENER_OWNED)
		return 0;
	long queued = lc_listener_backlog(l);
	long half_open = l->tcp && now < half_open_until ? lc_syn_recv_count(l->port) : 0;
	*queue_empty = queued <= 0;
	return (queued > 0 ? queued : 0) + (half_open > 0 ? half_open : 0);
}

/* Step 3: stop accepting. New handshakes are dropped first; the backlog
 * is served by the program's own accepts; then the listeners close. */
static bool stop_accepting(const struct lc_deadlines *d, long *never_accepted)
{
	static struct lc_listener_set listeners;
	bool skipped = false;
	lc_start_closing();
	set_phase(LC_PHASE_STOPPING);
	lc_listeners_find(&lc_table, &listeners, lc_health_fd());
	bool dropped_before = false;
	for (int i = 0; i < listeners.count; i++) {
		struct lc_listener *l = &listeners.items[i];
		if (l->role != LC_LISTENER_OWNED)
			continue;
		/* Read before the SYN filter below, whose drops count too. */
		long drops = lc_listener_overflow_drops(l);
		if (drops > 0) {
			dropped_before = true;
			log_dropped_handshakes(l, drops);
		}
		lc_listener_block_syn(l);
	}

	int64_t grace_end = lc_now_ns() + HANDSHAKE_GRACE_NS;
	for (int64_t now = lc_now_ns(); now < grace_end && !skipped; now = lc_now_ns())
		skipped = wait_for_events(grace_end - now) & LC_EV_SKIP;

	int64_t half_open_until = lc_now_ns() + HALF_OPEN_PATIENCE_NS;
	bool full_since_stop = false;
	for (;;) {
		long waiting = 0;
		int empty_fds[LC_MAX_LISTENERS], n_empty = 0;
		int64_t now = lc_now_ns();
		for (int i = 0; i < listeners.count; i++) {
			bool queue_empty;
			waiting += still_waiting(&listeners.items[i], now, half_open_until, &queue_empty);
			if (queue_empty && listeners.items[i].role == LC_LISTENER_OWNED)
				empty_fds[n_empty++] = listeners.items[i].fd;
		}
		/* Clients whose final ACK was dropped before the stop (or since,
		 * when an accept queue of ours was full) may have left no trace:
		 * they land on a retransmission, now that the backlog has room,
		 * and are waited for until the patience ends. Only our own
		 * listeners count: a process that owns none (a prefork worker)
		 * has no client to wait for, whatever overflows elsewhere in
		 * the network namespace (gunicorn's workers waited 2 s so). */
		for (int i = 0; i < listeners.count; i++)
			if (listeners.items[i].role == LC_LISTENER_OWNED &&
			    lc_listener_queue_full(&listeners.items[i]))
				full_since_stop = true;
		bool overflowed = dropped_before || full_since_stop;
		bool settled = !overflowed || now >= half_open_until;
		if (lc_log_enabled(LC_LOG_DEBUG))
			log_count("stopping: waiting for ", waiting,
				  overflowed ? " queued or half-open connections (handshakes overflowed)"
					     : " queued or half-open connections");
		if ((waiting == 0 && settled) || skipped || now >= d->drain_ns) {
			/* A backlog the program never took (its accept failing,
			 * EMFILE say) is reset when the listener closes: those
			 * clients were cut, not drained. */
			*never_accepted = waiting;
			if (waiting > 0)
				log_count(skipped ? "second signal: " : "drain timeout: ", waiting,
					  " queued connections never accepted (reset)");
			break;
		}
		/* Woken by each accept (the wrapper) and by each connection that
		 * lands in an empty accept queue (poll on the listener); the
		 * tick covers half-open ones that expire, an owner stopping a
		 * shared listener, and accepts no wrapper sees (io_uring). With
		 * nothing left to count, only the patience for clients that left
		 * no trace remains, and an arrival wakes the poll: no tick. */
		int64_t budget = waiting > 0 ? lc_wait_budget(now, d->drain_ns, 0, BUSY_RECHECK_NS)
					     : lc_wait_budget(now, d->drain_ns, half_open_until, 0);
		skipped = wait_for_events_or(budget, empty_fds, n_empty) & LC_EV_SKIP;
	}

	unsigned ports[LC_MAX_LISTENERS];
	int nports = 0;
	for (int i = 0; i < listeners.count; i++)
		if (listeners.items[i].role == LC_LISTENER_OWNED)
			ports[nports++] = listeners.items[i].port;
	lc_children_set_ports(ports, nports);
	int stopped = 0, stepped_out = 0;
	for (int i = 0; i < listeners.count; i++) {
		lc_listener_stop(&lc_table, &listeners.items[i]);
		if (listeners.items[i].role == LC_LISTENER_OWNED)
			stopped++;
		else
			stepped_out++;
	}
	set_phase(LC_PHASE_DRAINING);
	lc_report_mark(LC_T_LISTENERS_CLOSED);

	struct lc_line line;
	lc_line_start(&line);
	lc_line_str(&line, "listeners closed (");
	lc_line_int(&line, stopped);
	for (int i = 0, shown = 0; i < listeners.count && shown < 8; i++) {
		if (listeners.items[i].role != LC_LISTENER_OWNED)
			continue;
		lc_line_str(&line, shown++ ? ", " : ": ");
		lc_line_str(&line, listeners.items[i].local);
	}
	lc_line_str(&line, stopped > 8 ? ", ...)" : ")");
	if (stepped_out) {
		lc_line_str(&line, ", stepped out of ");
		lc_line_int(&line, stepped_out);
		lc_line_str(&line, " shared (left to their owner)");
	}
	long from_backlog = atomic_load(&lc_rt.counts.served_from_backlog);
	if (from_backlog) {
		lc_line_str(&line, ", ");
		lc_line_int(&line, from_backlog);
		lc_line_str(&line, " served from the backlog");
	}
	lc_line_emit(&line, LC_LOG_INFO);
	return !skipped;
}

/* Step 4-5: close idle connections, let busy ones finish, until none is
 * left or the drain deadline. Returns true when drained. */
static bool drain_connections(const struct lc_deadlines *d, int64_t started_ns, bool *skipped)
{
	for (;;) {
		int64_t now = lc_now_ns();
		struct lc_scan scan;
		lc_connections_scan(&lc_table, now, true, &scan);
		int64_t scan_ns = lc_now_ns() - now;
		atomic_fetch_add(&lc_rt.counts.closed_idle, scan.closed_idle);
		atomic_fetch_add(&lc_rt.counts.closed_by_protocol, scan.closed_by_protocol);
		atomic_fetch_add(&lc_rt.counts.closed_after_quiet, scan.closed_after_quiet);
		/* Children answering on connections they were forked with: woken
		 * when one exits (pidfd); the tick covers one that lives on. */
		int child_fds[LC_MAX_LISTENERS];
		long child_idle = 0;
		int children = lc_children_holding(child_fds, LC_MAX_LISTENERS, now - started_ns, true,
						   &child_idle);
		atomic_fetch_add(&lc_rt.counts.closed_idle, child_idle);
		/* Replies the program (or a prefork worker of it) closed on but
		 * the kernel still sends: no event announces their last ACK, so
		 * they ride the tick too. */
		long leaving = scan.open == 0 && children == 0
				       ? lc_leaving_count() + lc_children_replies_leaving()
				       : 0;
		if (scan.open == 0 && children == 0 && leaving == 0) {
			lc_report_mark(LC_T_DRAINED);
			struct lc_line line;
			lc_line_start(&line);
			lc_line_str(&line, "drained in ");
			lc_line_duration(&line, lc_now_ns() - started_ns);
			lc_line_emit(&line, LC_LOG_INFO);
			return true;
		}
		if (*skipped || now >= d->drain_ns)
			return false;
		/* A scan costs a few system calls per open connection (14 ms for
		 * 10,000): the tick stretches so that it never takes more than a
		 * fifth of a core from the program. Closes still wake at once. */
		int64_t tick = scan.busy > 0 || children > 0 || leaving > 0 ? BUSY_RECHECK_NS : 0;
		if (tick && tick < 4 * scan_ns)
			tick = 4 * scan_ns;
		int events = wait_for_events_or(lc_wait_budget(now, d->drain_ns, scan.next_change_ns, tick),
						child_fds, children < LC_MAX_LISTENERS ? children : LC_MAX_LISTENERS);
		*skipped = events & LC_EV_SKIP;
	}
}

void *lc_drain_main(void *unused)
{
	(void)unused;
	pid_t tid = (pid_t)lc_raw_syscall6(SYS_gettid, 0, 0, 0, 0, 0, 0);
	atomic_store(&lc_rt.drain_tid, tid);
	while (!(wait_for_events(-1) & LC_EV_SIGNAL))
		;
	/* The handler renamed it already, unless it came before the tid (or
	 * the parent is to send its word: lc_children_forward). */
	if (!atomic_load(&lc_rt.awaiting_parent))
		lc_name_thread(tid, LC_DRAIN_THREAD_DRAINING);

	/* Step 1: notice. */
	int64_t signal_ns = lc_now_ns();
	lc_report_mark(LC_T_SIGNAL);
	lc_report_note_sender(lc_signals_sender());
	lc_health_note_signal();
	struct lc_deadlines d = lc_deadlines_from(&lc_rt.cfg, signal_ns);
	lc_watchdog_arm(d.total_ns);
	lc_signals_quiet_sigpipe();
	set_phase(LC_PHASE_NOTICED);
	lc_shutdown_fd_fire();
	lc_python_resolve();
	struct lc_scan before;
	lc_connections_scan(&lc_table, signal_ns, false, &before);
	atomic_store(&lc_rt.counts.accepted_before_signal, before.open);
	int child_fds[1];
	log_notice(atomic_load(&lc_rt.first_signal), before.open,
		   lc_children_holding(child_fds, 1, 0, false, NULL), lc_rt.cfg.timeout_ns);
	lc_children_remember_listeners();
	bool skipped = atomic_load(&lc_rt.signals_received) > 1;
	if (!skipped && atomic_load(&lc_rt.awaiting_parent))
		skipped = !await_parent(&d);

	/* Steps 2-5, each skipped by a second signal. A worker whose parent
	 * sent the signal (or the word after it) had the delay served
	 * there: its parent stopped listening already. */
	bool drained = false;
	long never_accepted = 0;
	if (!skipped && !atomic_load(&lc_rt.parent_delayed))
		skipped = !serve_during_delay(&d);
	if (!skipped)
		skipped = !stop_accepting(&d, &never_accepted);
	if (!skipped) {
		/* Children we hand connections to (node's cluster workers):
		 * only now, when no more will come, do they drain. Told
		 * earlier, one could drain and exit while the backlog we serve
		 * was still being handed to it (seen under ASan: 2 requests
		 * failed in a pool of 16). */
		pid_t forwarded[8];
		int nforwarded = lc_children_forward(atomic_load(&lc_rt.first_signal), forwarded, 8);
		if (nforwarded > 0)
			log_forwarded(atomic_load(&lc_rt.first_signal), forwarded, nforwarded,
				      nforwarded < 8 ? nforwarded : 8);
	}
	if (!skipped)
		drained = drain_connections(&d, signal_ns, &skipped);

	/* Step 7: the drain deadline (or a second signal) cuts the rest. */
	long cut = 0;
	if (!drained) {
		/* Where the program is, before its connections are cut: every
		 * thread's stack, within what is left of the total budget. */
		if (lc_report_wanted()) {
			int64_t left = d.total_ns - lc_now_ns() - STACKS_MARGIN_NS;
			lc_report_capture_threads(left < STACKS_BUDGET_NS ? left : STACKS_BUDGET_NS);
		}
		static struct lc_conn_view open_at_deadline[LC_REPORT_MAX_CONNECTIONS];
		lc_report_recording_begin(-1);
		cut = lc_connections_cut(&lc_table, true, false, open_at_deadline,
					 LC_REPORT_MAX_CONNECTIONS);
		lc_report_set_connections(open_at_deadline, cut);
		lc_report_recording_end();
		struct lc_line line;
		lc_line_start(&line);
		lc_line_str(&line, skipped ? "second signal: cut " : "drain timeout: cut ");
		lc_line_int(&line, cut);
		lc_line_str(&line, cut == 1 ? " connection" : " connections");
		lc_line_emit(&line, LC_LOG_WARN);
	}
	atomic_store(&lc_rt.counts.drained,
		     atomic_load(&lc_rt.counts.accepted_before_signal) +
			     atomic_load(&lc_rt.counts.served_from_backlog) - cut);
	cut += never_accepted;
	atomic_store(&lc_rt.counts.cut_at_deadline, cut);

	/* Step 6: hand the signal back. */
	set_phase(LC_PHASE_EXIT);
	lc_report_mark(LC_T_EXIT);
	lc_report_write(cut > 0 ? "drain_timeout" : "drained");
	lc_cleanups_run(d.total_ns);
	int status = cut > 0 ? 124 : 0;
	enum lc_handback_mode chosen = lc_signals_hand_back(status);
	for (;;) {
		if (!(wait_for_events(-1) & LC_EV_EXIT_CALL))
			continue;
		if (chosen != LC_HANDBACK_EXIT_CALL)
			log_default_after_all(status);
		lc_exit_for_default_action(status);
	}
}
