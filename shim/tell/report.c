/* Shutdown report (see report.h). */
#include "tell/report.h"
#include "tell/python.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/config.h"
#include "base/fdroom.h"
#include "base/log.h"
#include "base/real.h"
#include "base/runtime.h"
#include "kernel/proctree.h"


extern char **environ;

static _Atomic int64_t times_ns[LC_T_COUNT];
static struct lc_conn_view connections[LC_REPORT_MAX_CONNECTIONS];
static _Atomic int connection_count;
static char threads_json[512 * 1024];
static size_t threads_len;
/* asyncio's pending tasks, or why they could not be listed. */
static char tasks_json[128 * 1024];
static size_t tasks_len;
static const char *tasks_why_not;
/* At most this of the stacks' budget waits for the GIL. */
#define TASKS_BUDGET_NS (200 * LC_NS_PER_MS)
/* The stacks are taken by the drain thread (drain deadline) or the
 * watchdog (total deadline): one at a time, and a report written while
 * they are being taken (a third signal) goes without them. */
static pthread_mutex_t threads_lock = PTHREAD_MUTEX_INITIALIZER;
/* One writer at a time: the drain thread (exit phase) and the watchdog
 * (the deadline, a third signal) can meet, and share `out`. The later one
 * waits for the first, but never past WRITER_WAIT: the watchdog must end
 * the process on time even if the other writer is stuck on a slow disk. */
#define WRITER_WAIT_NS (300 * LC_NS_PER_MS)
static pthread_mutex_t writer = PTHREAD_MUTEX_INITIALIZER;
static char out[2 * 1024 * 1024];
static size_t out_len;

bool lc_report_wanted(void)
{
	if (!lc_rt.cfg.report_path[0])
		return false;
	/* One report per service: a forked worker leaves it to the process
	 * that was started, unless that one is gone (a daemon's). */
	struct lc_shared_page *parent = lc_rt.parent_page;
	return !parent || lc_raw_syscall6(SYS_kill, atomic_load(&parent->pid), 0, 0, 0, 0, 0) != 0;
}

void lc_report_mark(enum lc_report_time which)
{
	atomic_store(&times_ns[which], lc_clock_ns(CLOCK_REALTIME));
}

/* One recorder at a time: the drain thread cutting at its deadline and
 * the watchdog (total deadline, third signal) would otherwise interleave
 * their lists (seen: a connection listed twice under a third signal that
 * came while the second one's cut was recording). Within a recording an
 * entry is complete before the count includes it, so the report, written
 * by whoever ends the process, never reads half an entry. */
static pthread_mutex_t recorder = PTHREAD_MUTEX_INITIALIZER;

/* Takes `lock`, waiting `wait_ns` at most (-1: as long as it takes). */
static bool lock_within(pthread_mutex_t *lock, int64_t wait_ns)
{
	if (wait_ns < 0)
		return pthread_mutex_lock(lock) == 0;
	/* timedlock (CLOCK_REALTIME) rather than clocklock: ThreadSanitizer
	 * in gcc 12 does not know clocklock and then reports every unlock;
	 * a clock step within the wait changes nothing that matters here. */
	struct timespec until = lc_timespec(lc_clock_ns(CLOCK_REALTIME) + wait_ns);
	return pthread_mutex_timedlock(lock, &until) == 0;
}

bool lc_report_recording_begin(int64_t wait_ns)
{
	return lock_within(&recorder, wait_ns);
}

void lc_report_recording_end(void)
{
	pthread_mutex_unlock(&recorder);
}

void lc_report_recording_forget_in_child(void)
{
	pthread_mutex_init(&recorder, NULL);
	pthread_mutex_init(&threads_lock, NULL);
	pthread_mutex_init(&writer, NULL);
	atomic_store(&connection_count, 0);
}

int lc_report_connection_count(void)
{
	return atomic_load(&connection_count);
}

void lc_report_set_connections(const struct lc_conn_view *seen, long n)
{
	/* Each entry is complete before the count includes it: the report,
	 * written by whoever ends the process, never reads half an entry. */
	atomic_store(&connection_count, 0);
	for (int i = 0; i < n && i < LC_REPORT_MAX_CONNECTIONS; i++) {
		connections[i] = seen[i];
		atomic_store(&connection_count, i + 1);
	}
}

/* --- the helper: a fresh process that stops and unwinds our threads --- */

static bool helper_path(char *path, size_t size)
{
	const char *helper = NULL;
	for (char **e = environ; e && *e; e++)
		if (strncmp(*e, "LASTCALL_HELPER=", 16) == 0)
			helper = *e + 16;
	if (!helper || strlen(helper) >= size)
		return false;
	strcpy(path, helper);
	return access(path, X_OK) == 0;
}

/* clone without SIGCHLD: the program's wait() never sees the helper, and
 * no atfork handler or malloc lock is involved (a wedged thread may hold
 * one); the child only dup2s and execs. */
static void capture_threads(int64_t budget_ns);

void lc_report_capture_threads(int64_t budget_ns)
{
	if (pthread_mutex_trylock(&threads_lock) != 0)
		return; /* the other one is taking them now */
	capture_threads(budget_ns);
	pthread_mutex_unlock(&threads_lock);
}

static void capture_threads(int64_t budget_ns)
{
	char path[4096], pid_text[16];
	int pipefd[2];
	threads_len = 0;
	if (!helper_path(path, sizeof path) || LC_WITH_ROOM(pipe2(pipefd, O_CLOEXEC)) < 0)
		return;
	int n = 0;
	for (long v = getpid(), div = 1000000000; div; div /= 10)
		if (v / div || n)
			pid_text[n++] = (char)('0' + v / div % 10);
	pid_text[n] = '\0';
	/* First asyncio's tasks, under the GIL, for a bounded part of the
	 * budget: the helper below stops every thread, the GIL's holder too. */
	int64_t tasks_budget = budget_ns / 4 < TASKS_BUDGET_NS ? budget_ns / 4 : TASKS_BUDGET_NS;
	int tasks = lc_python_tasks(tasks_budget, tasks_json, sizeof tasks_json, &tasks_why_not);
	tasks_len = tasks > 0 ? (size_t)tasks : 0;
	if (tasks_len)
		lc_python_log_tasks(tasks_json, tasks_len);
	else if (tasks_why_not)
		lc_log2(LC_LOG_WARN, "python: no asyncio tasks: ", tasks_why_not);
	budget_ns -= tasks_budget;
	/* A CPython program's tracebacks go to the helper on its stdin: it
	 * knows which thread each belongs to. */
	int python = lc_python_dump();
	char *argv[] = {"lastcall", "--stacks", pid_text, python >= 0 ? "--python" : NULL, NULL};
	long child = lc_real_syscall(SYS_clone, 0, 0, 0, 0, 0, 0);
	if (child == 0) {
		lc_real_dup2(pipefd[1], STDOUT_FILENO);
		if (python >= 0)
			lc_real_dup2(python, STDIN_FILENO);
		execve(path, argv, environ);
		lc_real__exit(127);
	}
	lc_real_close(pipefd[1]);
	if (python >= 0)
		lc_real_close(python);
	if (child < 0) {
		lc_real_close(pipefd[0]);
		return;
	}
	prctl(PR_SET_PTRACER, child, 0, 0, 0); /* Yama: let it look at us */
	int64_t deadline = lc_now_ns() + budget_ns;
	while (threads_len < sizeof threads_json - 1) {
		int64_t left = deadline - lc_now_ns();
		if (left <= 0)
			break;
		struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
		struct timespec ts = lc_timespec(left);
		if (ppoll(&p, 1, &ts, NULL) <= 0)
			break;
		ssize_t got = lc_real_read(pipefd[0], threads_json + threads_len,
				   sizeof threads_json - 1 - threads_len);
		if (got <= 0)
			break;
		threads_len += (size_t)got;
	}
	lc_real_close(pipefd[0]);
	lc_raw_syscall6(SYS_kill, child, SIGKILL, 0, 0, 0, 0); /* done or out of time */
	waitpid((pid_t)child, NULL, __WALL);
	/* Only a complete array goes in the report. */
	while (threads_len && (threads_json[threads_len - 1] == '\n'))
		threads_len--;
	if (!threads_len || threads_json[0] != '[' || threads_json[threads_len - 1] != ']')
		threads_len = 0;
	else if (python >= 0)
		lc_python_log_threads(threads_json, threads_len);
}

/* --- JSON --- */

static void put(const char *s)
{
	size_t n = strlen(s);
	if (out_len + n < sizeof out) {
		memcpy(out + out_len, s, n);
		out_len += n;
	}
}

static void put_int(int64_t v)
{
	struct lc_line line = {.len = 0};
	lc_line_int(&line, v);
	line.buf[line.len] = '\0';
	put(line.buf);
}

static void put_seconds(int64_t ns, int decimals)
{
	if (ns < 0)
		ns = 0;
	put_int(ns / LC_NS_PER_S);
	char frac[8] = ".";
	int64_t rest = ns % LC_NS_PER_S;
	for (int i = 0; i < decimals; i++) {
		rest *= 10;
		frac[1 + i] = (char)('0' + rest / LC_NS_PER_S);
		rest %= LC_NS_PER_S;
	}
	frac[1 + decimals] = '\0';
	put(frac);
}

static void put_string(const char *s)
{
	put("\"");
	for (; *s; s++) {
		char c[8] = {*s, '\0'};
		if (*s == '"' || *s == '\\') {
			c[0] = '\\';
			c[1] = *s;
			c[2] = '\0';
		} else if ((unsigned char)*s < 0x20) {
			strcpy(c, "\\u0020");
		}
		put(c);
	}
	put("\"");
}

static void put_key(const char *key)
{
	put_string(key);
	put(": ");
}

static pid_t sender_pid;
static char sender_command[32];

void lc_report_note_sender(pid_t pid)
{
	sender_pid = pid;
	if (pid > 0)
		lc_proc_comm(pid, sender_command, sizeof sender_command);
}

static void build(const char *outcome)
{
	static const char *time_names[] = {"signal", "listeners_closed", "drained", "exit"};
	char name[16];
	out_len = 0;
	put("{\n  ");
	put_key("lastcall");
	put_string(LASTCALL_VERSION);
	put(", ");
	put_key("pid");
	put_int(getpid());
	put(", ");
	put_key("signal");
	put_string(lc_signal_name(atomic_load(&lc_rt.first_signal), name));
	if (sender_pid > 0) {
		put(", ");
		put_key("signal_from");
		put("{");
		put_key("pid");
		put_int(sender_pid);
		put(", ");
		put_key("command");
		put_string(sender_command);
		put(", ");
		put_key("parent");
		put(sender_pid == getppid() ? "true" : "false");
		put("}");
	}
	put(",\n  ");
	put_key("outcome");
	put_string(outcome);
	put(",\n  ");
	put_key("times");
	put("{");
	for (int i = 0, first = 1; i < LC_T_COUNT; i++) {
		if (!atomic_load(&times_ns[i]))
			continue; /* a phase that did not happen */
		put(first ? "" : ", ");
		first = 0;
		put_key(time_names[i]);
		put_seconds(atomic_load(&times_ns[i]), 3);
	}
	put("},\n  ");
	put_key("counts");
	put("{");
	put_key("accepted_before_signal");
	put_int(atomic_load(&lc_rt.counts.accepted_before_signal));
	put(", ");
	put_key("served_from_backlog");
	put_int(atomic_load(&lc_rt.counts.served_from_backlog));
	put(", ");
	put_key("closed_idle");
	put_int(atomic_load(&lc_rt.counts.closed_idle));
	put(", ");
	put_key("closed_by_protocol");
	put_int(atomic_load(&lc_rt.counts.closed_by_protocol));
	put(", ");
	put_key("closed_after_quiet");
	put_int(atomic_load(&lc_rt.counts.closed_after_quiet));
	put(", ");
	put_key("drained");
	put_int(atomic_load(&lc_rt.counts.drained));
	put(", ");
	put_key("cut_at_deadline");
	put_int(atomic_load(&lc_rt.counts.cut_at_deadline));
	put("},\n  ");
	put_key("connections");
	put("[");
	int count = atomic_load(&connection_count);
	for (int i = 0; i < count && i < LC_REPORT_MAX_CONNECTIONS; i++) {
		const struct lc_conn_view *c = &connections[i];
		put(i ? ",\n    {" : "\n    {");
		put_key("fd");
		put_int(c->fd);
		put(", ");
		put_key("peer");
		put_string(c->peer);
		put(", ");
		put_key("local");
		put_string(c->local);
		put(", ");
		put_key("age_s");
		put_seconds(c->age_ns, 1);
		put(", ");
		put_key("state");
		put_string(c->busy ? "busy" : "idle");
		put(", ");
		put_key("unread_bytes");
		put_int(c->unread);
		put(", ");
		put_key("unsent_bytes");
		put_int(c->unsent);
		if (c->what[0]) {
			put(", ");
			put_key("protocol");
			put_string(c->what);
		}
		put("}");
	}
	put(count ? "\n  ],\n  " : "],\n  ");
	put_key("threads");
	bool threads_readable = pthread_mutex_trylock(&threads_lock) == 0;
	if (threads_readable && threads_len) {
		threads_json[threads_len] = '\0';
		put(threads_json);
	} else {
		put("[]");
	}
	if (threads_readable && tasks_len) {
		put(",\n  ");
		put_key("tasks");
		tasks_json[tasks_len] = '\0';
		put(tasks_json);
	} else if (threads_readable && tasks_why_not) {
		put(",\n  ");
		put_key("tasks_unavailable");
		put_string(tasks_why_not);
	}
	if (threads_readable)
		pthread_mutex_unlock(&threads_lock);
	put("\n}\n");
}

static void write_all(int fd)
{
	for (size_t done = 0; done < out_len;) {
		ssize_t n = lc_real_write(fd, out + done, out_len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		done += (size_t)n;
	}
}


static void write_report(const char *outcome);

/* Set by the watchdog's write just before it ends the process: the other
 * threads run on until _exit and must not overwrite that last word. */
static _Atomic bool sealed;

static void write_once_more(const char *outcome, bool seal)
{
	if (!lc_report_wanted() || !lock_within(&writer, WRITER_WAIT_NS))
		return;
	if (!atomic_load(&sealed))
		write_report(outcome);
	if (seal)
		atomic_store(&sealed, true);
	pthread_mutex_unlock(&writer);
}

void lc_report_write(const char *outcome)
{
	write_once_more(outcome, false);
}

void lc_report_write_final(const char *outcome)
{
	write_once_more(outcome, true);
}

static void write_report(const char *outcome)
{
	build(outcome);
	const char *path = lc_rt.cfg.report_path;
	if (strcmp(path, "-") == 0) {
		write_all(STDERR_FILENO);
		return;
	}
	/* Created 0600 under a fresh name (O_EXCL: never through a link),
	 * then renamed over the path: a symbolic link there is replaced, not
	 * followed, and a reader never sees half a report. */
	char tmp[4200];
	size_t len = strlen(path);
	memcpy(tmp, path, len);
	memcpy(tmp + len, ".tmp", 5);
	unlink(tmp);
	int fd = LC_WITH_ROOM(open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
	if (fd < 0 && lc_fd_reserve_release())
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		lc_log2(LC_LOG_WARN, "report: cannot create ", tmp);
		return;
	}
	write_all(fd);
	lc_real_close(fd);
	if (rename(tmp, path) < 0) {
		lc_log2(LC_LOG_WARN, "report: cannot write ", path);
		unlink(tmp);
		return;
	}
	lc_log2(LC_LOG_INFO, "report written to ", path);
}
