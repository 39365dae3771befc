/* Constructor, activation, fork (see lifecycle.h). */
#include "hook/lifecycle.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/addr.h"
#include "base/fdroom.h"
#include "base/log.h"
#include "base/errno_tls.h"
#include "base/real.h"
#include "base/runtime.h"
#include "base/thread.h"
#include "drain/drain.h"
#include "drain/watchdog.h"
#include "kernel/fdscan.h"
#include "kernel/proctree.h"
#include "signal/exits.h"
#include "signal/shutdown_fd.h"
#include "signal/signals.h"
#include "signal/wrapper.h"
#include "tell/health.h"
#include "tell/report.h"
#include "track/children.h"

static pthread_mutex_t activation_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *env_lookup(const char *name)
{
	return getenv(name);
}

static void load_config(void)
{
	struct lc_config_error err;
	if (lc_config_from_env(&lc_rt.cfg, env_lookup, &err) < 0) {
		/* Refused before main: the program does not start. */
		fprintf(stderr, "lastcall: %s\n", err.message);
		lc_real__exit(2);
	}
	lc_log_set_level(lc_rt.cfg.log_level);
}

static void trace_listener_found(int fd, void *unused)
{
	(void)unused;
	if (fd == lc_health_fd())
		return;
	int accepting = 0;
	socklen_t len = sizeof accepting;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0 && accepting) {
		char local[LC_ADDR_TEXT];
		struct lc_line line;
		lc_line_start(&line);
		lc_line_str(&line, "active: listener ");
		lc_line_str(&line, lc_local_text(fd, local));
		lc_line_str(&line, " (fd ");
		lc_line_int(&line, fd);
		lc_line_str(&line, lc_rt.socket_activated ? ", socket activation)" : ")");
		lc_line_emit(&line, LC_LOG_DEBUG);
	}
}

/* Debug trace: what lastcall saw when it became active, so an operator
 * can tell at once why a server does not drain. */
static void trace_start(void)
{
	if (!lc_log_enabled(LC_LOG_DEBUG))
		return;
	/* Listeners it already has: inherited ones (socket activation, a
	 * parent's) appear here and nowhere else. */
	lc_for_each_fd(trace_listener_found, NULL);
	struct lc_line line;
	lc_line_start(&line);
	lc_line_str(&line, lc_real_own_calls()
				   ? "active: reads, writes, accept, close and epoll_wait made by "
				     "lastcall (the program has no threads)"
				   : "active: reads, writes, accept, close and epoll_wait through the C "
				     "library");
	lc_line_emit(&line, LC_LOG_DEBUG);
	char name[16];
	for (int sig = 1; sig < NSIG; sig++) {
		if (sigismember(&lc_rt.cfg.signals, sig) != 1)
			continue;
		lc_line_start(&line);
		lc_line_str(&line, "active: ");
		lc_line_str(&line, lc_signal_name(sig, name));
		switch (lc_signals_program_disposition(sig)) {
		case LC_DISP_HANDLER:
			lc_line_str(&line, ": the program has a handler");
			break;
		case LC_DISP_IGNORE:
			lc_line_str(&line, ": the program ignores it");
			break;
		default:
			lc_line_str(&line, ": default action");
		}
		if (lc_signal_has_consumer(sig))
			lc_line_str(&line, ", read through signalfd/sigwait");
		lc_line_emit(&line, LC_LOG_DEBUG);
	}
}

void lc_trace_listener(int fd)
{
	if (!lc_log_enabled(LC_LOG_DEBUG))
		return;
	char local[LC_ADDR_TEXT];
	struct lc_line line;
	lc_line_start(&line);
	lc_line_str(&line, "listening on ");
	lc_line_str(&line, lc_local_text(fd, local));
	lc_line_str(&line, " (fd ");
	lc_line_int(&line, fd);
	lc_line_str(&line, ")");
	lc_line_emit(&line, LC_LOG_DEBUG);
}

/* The drain thread takes no signal of the program's, but it does take
 * the shutdown signals: when every program thread blocks them (a signalfd
 * or sigwait program), the kernel delivers them here. */
static int start_drain_thread(void)
{
	return lc_thread_start(LC_DRAIN_THREAD_READY, lc_drain_main, NULL, &lc_rt.cfg.signals,
			       LC_THREAD_SMALL_STACK);
}

/* Another library's constructor may listen before ours has run. */
static void load_config_once(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, load_config);
}

void lc_activate_now(void)
{
	int saved = errno;
	load_config_once();
	pthread_mutex_lock(&activation_lock);
	if (atomic_load(&lc_running_pid) == 0) {
		lc_rt.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		lc_fd_reserve_take();
		lc_signals_install();
		lc_signalfds_strip();
		if (lc_rt.wake_fd < 0 || lc_watchdog_start() != 0 || start_drain_thread() != 0) {
			lc_log2(LC_LOG_ERROR, "cannot start the drain thread: no graceful shutdown",
				NULL);
		} else {
			atomic_store(&lc_running_pid, getpid());
			trace_start();
			static bool noted;
			if (!noted)
				noted = atexit(lc_note_exit_started) == 0;
		}
	}
	pthread_mutex_unlock(&activation_lock);
	errno = saved;
}

static void before_fork(void)
{
	pthread_mutex_lock(&activation_lock);
}

static void after_fork_parent(void)
{
	pthread_mutex_unlock(&activation_lock);
}

/* The child has none of our threads. It starts over if it accepts (a
 * prefork worker); until then the program's own dispositions apply there
 * (the handler sees lc_running_pid is not its pid). Counts are per process. */
static void after_fork_child(void)
{
	lc_runtime_reset_in_child();
	lc_real_forget_in_child();
	pthread_mutex_init(&activation_lock, NULL);
	lc_signals_forget_in_child();
	lc_wrapper_forget_in_child();
	lc_shutdown_fd_forget_in_child();
	lc_children_reset();
	lc_health_forget_in_child();
	lc_fd_reserve_drop();
	lc_report_recording_forget_in_child();
}

pid_t lc_fork(void)
{
	pid_t pid = lc_real_fork();
	if (pid > 0) {
		int saved = errno;
		atomic_fetch_add(&lc_rt.forks, 1);
		lc_children_note_fork(pid);
		errno = saved;
	}
	return pid;
}

/* systemd socket activation: the manager holds these listeners and queues
 * connections for the next start. Read before main: programs unset it. */
static bool socket_activation_for_us(void)
{
	const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
	return fds && *fds && (!pid || atol(pid) == (long)getpid());
}

/* Only the process that was started serves it: the programs it execs
 * inherit LASTCALL_HEALTH too, and LASTCALL_HEALTH_PID tells them it is
 * not theirs. A port that cannot be bound is bad configuration. */
static void start_health_endpoint(void)
{
	if (!lc_rt.cfg.health.enabled)
		return;
	const char *owner = getenv("LASTCALL_HEALTH_PID");
	if (owner && atol(owner) != (long)getpid())
		return;
	char error[128], pid[16];
	if (lc_health_start(&lc_rt.cfg.health, error, sizeof error) < 0) {
		fprintf(stderr, "lastcall: LASTCALL_HEALTH %s: cannot bind: %s\n",
			getenv("LASTCALL_HEALTH"), error);
		lc_real__exit(2);
	}
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	setenv("LASTCALL_HEALTH_PID", pid, 1);
	lc_rt.health_here = true;
}

static void before_fork(void);
static void after_fork_parent(void);
static void after_fork_child(void);

__attribute__((constructor)) static void lc_init(void)
{
	lc_errno_measure();
	lc_real_bind_hot();
	load_config_once();
	lc_rt.socket_activated = socket_activation_for_us();
	lc_rt.own_page = lc_shared_page_new();
	start_health_endpoint();
	/* Every process, server or not: a wrapper (sh, npm) must catch the
	 * signal that would end it before its servers have drained, and
	 * most wrappers create their children with vfork or clone, which no
	 * wrapper of lastcall's sees (signal/wrapper.h). The program's own
	 * view of its dispositions is kept (signal/dispositions.h). */
	lc_signals_install();
	atexit(lc_wrapper_at_exit);
	/* A socket-activated service is a server from its first instruction,
	 * and may sit in epoll_wait for a long time before its first accept. */
	if (lc_rt.socket_activated)
		lc_activate();
	pthread_atfork(before_fork, after_fork_parent, after_fork_child);
}
