/* Children holding connections (see children.h). */
#include "track/children.h"
#include "track/fdtable.h"
#include "track/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fdroom.h"
#include "base/log.h"
#include "base/real.h"
#include "base/runtime.h"
#include "judge/idle.h"
#include "kernel/fdscan.h"
#include "kernel/proctree.h"
#include "kernel/sockdiag.h"

#define INODES_PER_CHILD 16

struct child {
	_Atomic int pidfd; /* -1: free slot */
	pid_t pid;
	/* Serves under lastcall and drains itself (lc_children_forward):
	 * waited for until it exits; its connections are its own to judge. */
	bool drains_itself;
	int inode_count;   /* > INODES_PER_CHILD: it holds "any" */
	uint64_t inodes[INODES_PER_CHILD];
};

static struct child children[LC_MAX_CHILDREN];

/* Our listeners as they were at the signal (lc_children_remember_listeners):
 * once stopped, the table holds their stand-ins, while a prefork worker
 * still holds the originals. -1: not read yet. */
static uint64_t listeners_at_signal[64];
static int listeners_at_signal_count = -1;

static _Atomic int initialised;

static void init_once(void)
{
	int expected = 0;
	if (atomic_compare_exchange_strong(&initialised, &expected, 1))
		for (int i = 0; i < LC_MAX_CHILDREN; i++)
			atomic_store(&children[i].pidfd, -1);
}

/* A free slot for child `pid`, marked "being filled" (-2), with its pidfd
 * in *pidfd; NULL if the child is gone or the table is full. The caller
 * fills it and then stores the pidfd, which publishes it. */
static struct child *take_slot(pid_t pid, int *pidfd)
{
	*pidfd = LC_WITH_ROOM((int)lc_real_syscall(SYS_pidfd_open, pid, 0, 0, 0, 0, 0));
	if (*pidfd < 0)
		return NULL;
	lc_real_fcntl(*pidfd, F_SETFD, FD_CLOEXEC);
	for (int i = 0; i < LC_MAX_CHILDREN; i++) {
		struct child *c = &children[i];
		int expected = -1;
		if (!atomic_compare_exchange_strong(&c->pidfd, &expected, -2))
			continue; /* taken */
		c->pid = pid;
		c->inode_count = 0;
		return c;
	}
	lc_real_close(*pidfd); /* table full: this child is not waited for */
	return NULL;
}

void lc_children_note_fork(pid_t pid)
{
	init_once();
	/* A child forked with connections open may answer on them (fork per
	 * connection, CGI); one forked by a process that listens may accept
	 * on its listeners (prefork). Others are nothing to wait for. */
	if (pid <= 0 || (lc_fdtable_live(&lc_table) == 0 &&
			 atomic_load(&lc_running_pid) != getpid()))
		return;
	int pidfd;
	struct child *c = take_slot(pid, &pidfd);
	if (!c)
		return;
	c->drains_itself = false;
	int max = lc_fdtable_max_fd(&lc_table);
	for (int fd = 0; fd <= max; fd++) {
		struct lc_fd_snapshot s;
		/* Its inode, which the child's descriptors are matched by. */
		if (!lc_fdtable_get(&lc_table, fd, &s) || s.kind != LC_FD_CONNECTION ||
		    !lc_connection_identify(&lc_table, fd, &s))
			continue;
		if (c->inode_count < INODES_PER_CHILD)
			c->inodes[c->inode_count] = s.ino;
		if (++c->inode_count > INODES_PER_CHILD)
			break;
	}
	atomic_store(&c->pidfd, pidfd);
}

void lc_children_reset(void)
{
	init_once();
	listeners_at_signal_count = -1;
	for (int i = 0; i < LC_MAX_CHILDREN; i++) {
		int fd = atomic_exchange(&children[i].pidfd, -1);
		if (fd >= 0)
			lc_real_close(fd);
	}
}

static unsigned listener_ports[64];
static int listener_port_count;

void lc_children_set_ports(const unsigned *ports, int n)
{
	listener_port_count = 0;
	for (int i = 0; i < n && listener_port_count < 64; i++)
		if (ports[i])
			listener_ports[listener_port_count++] = ports[i];
}

long lc_children_replies_leaving(void)
{
	if (atomic_load(&lc_rt.forks) == 0 || listener_port_count == 0)
		return 0;
	long n = lc_orphans_sending(listener_ports, listener_port_count);
	return n > 0 ? n : 0;
}

struct holding_search {
	const struct child *child;
	int pidfd;
	const uint64_t *inbound;
	int inbound_count;
	int64_t age_ns;
	bool close_idle;
	int busy;
	long closed_idle;
};

/* The child was forked with this connection open (by inode). */
static bool forked_with(const struct child *c, uint64_t ino)
{
	for (int i = 0; i < c->inode_count && i < INODES_PER_CHILD; i++)
		if (c->inodes[i] == ino)
			return true;
	return false;
}

static bool is_ours(const struct holding_search *search, uint64_t ino)
{
	const struct child *c = search->child;
	if (c->inode_count > INODES_PER_CHILD)
		return true; /* forked with many: any socket counts */
	if (forked_with(c, ino))
		return true;
	for (int i = 0; i < search->inbound_count; i++)
		if (search->inbound[i] == ino)
			return true;
	return false;
}

/* The child's connection is judged like our own: a duplicate taken with
 * pidfd_getfd (a parent may, for its own children) gives its TCP state;
 * an idle one is shut down, and the child reads EOF and closes it. */
static void check_child_fd(int fd, void *opaque)
{
	struct holding_search *search = opaque;
	char path[64], target[64];
	snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)search->child->pid, fd);
	ssize_t n = readlink(path, target, sizeof target - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	unsigned long long ino;
	if (sscanf(target, "socket:[%llu]", &ino) != 1)
		return;
	ino = (uint32_t)ino; /* as the table and sock_diag keep it (fdtable.h) */
	if (!is_ours(search, ino))
		return;
	int dup = (int)lc_real_syscall(SYS_pidfd_getfd, search->pidfd, fd, 0, 0, 0, 0);
	if (dup < 0) {
		search->busy++; /* cannot look: assume it works */
		return;
	}
	struct sockaddr_storage peer;
	socklen_t peer_len = sizeof peer;
	if (getpeername(dup, (struct sockaddr *)&peer, &peer_len) < 0) {
		lc_real_close(dup); /* no peer: a listener, not a connection */
		return;
	}
	struct lc_conn_probe probe;
	bool idle = lc_probe_connection(dup, &probe) == 0 && lc_classify(&probe, NULL, search->age_ns, lc_reply_quiet_ms()) == LC_IDLE;
	/* CGI and fork-per-connection children answer through connections
	 * the parent's TCP view cannot judge (its headers went out first). */
	bool forked_with_it = forked_with(search->child, ino);
	if (lc_log_enabled(LC_LOG_DEBUG) && search->close_idle) {
		struct lc_line line;
		lc_line_start(&line);
		lc_line_str(&line, "child ");
		lc_line_int(&line, search->child->pid);
		lc_line_str(&line, " fd ");
		lc_line_int(&line, fd);
		lc_line_str(&line, idle ? " idle" : " busy");
		lc_line_str(&line, probe.tcp ? " tcp" : " not tcp");
		lc_line_emit(&line, LC_LOG_DEBUG);
	}
	if (idle && !forked_with_it && search->close_idle && probe.tcp) {
		shutdown(dup, SHUT_RDWR);
		search->closed_idle++;
	} else {
		search->busy++;
	}
	lc_real_close(dup);
}

int lc_children_holding(int *pidfds, int max, int64_t age_ns, bool close_idle, long *closed_idle)
{
	init_once();
	/* Most servers fork no children: skip the socket dump below, which
	 * walks every TCP socket of the host (about a millisecond on a busy
	 * machine) and would delay the exit phase on each wakeup. */
	bool any = false;
	for (int i = 0; i < LC_MAX_CHILDREN && !any; i++)
		any = atomic_load(&children[i].pidfd) >= 0;
	if (!any)
		return 0;
	static uint64_t inbound[4096];
	int inbound_count = lc_inbound_inodes(listener_ports, listener_port_count, inbound, 4096);
	int count = 0;
	for (int i = 0; i < LC_MAX_CHILDREN; i++) {
		struct child *c = &children[i];
		int pidfd = atomic_load(&c->pidfd);
		if (pidfd < 0)
			continue;
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		bool exited = poll(&p, 1, 0) > 0;
		struct holding_search search = {.child = c, .pidfd = pidfd, .inbound = inbound,
						.inbound_count = inbound_count > 0 ? inbound_count : 0,
						.age_ns = age_ns, .close_idle = close_idle};
		if (!exited && c->drains_itself)
			search.busy = 1; /* until it exits: its drain, its verdicts */
		else if (!exited) {
			char dir[32];
			snprintf(dir, sizeof dir, "/proc/%d/fd", (int)c->pid);
			lc_for_each_number(dir, check_child_fd, &search);
		}
		if (closed_idle)
			*closed_idle += search.closed_idle;
		if (exited || (search.busy == 0 && search.closed_idle == 0)) {
			/* gone, or holds none of our connections: nothing to wait for */
			if (exited && atomic_compare_exchange_strong(&c->pidfd, &pidfd, -1))
				lc_real_close(pidfd);
			continue;
		}
		if (close_idle && lc_log_enabled(LC_LOG_DEBUG)) {
			struct lc_line line;
			lc_line_start(&line);
			lc_line_str(&line, "waiting for child ");
			lc_line_int(&line, c->pid);
			lc_line_str(&line, ": ");
			lc_line_int(&line, search.busy);
			lc_line_str(&line, " busy connection(s)");
			lc_line_emit(&line, LC_LOG_DEBUG);
		}
		if (count < max)
			pidfds[count] = pidfd;
		count++;
	}
	return count;
}

/* --- children that drain themselves ------------------------------------ */

static struct child *noted(pid_t pid)
{
	for (int i = 0; i < LC_MAX_CHILDREN; i++)
		if (atomic_load(&children[i].pidfd) >= 0 && children[i].pid == pid)
			return &children[i];
	return NULL;
}

static void note_draining_child(pid_t pid)
{
	int pidfd;
	struct child *c = take_slot(pid, &pidfd);
	if (!c)
		return;
	c->drains_itself = true;
	atomic_store(&c->pidfd, pidfd);
}

void lc_children_remember_listeners(void)
{
	int n = 0, max_fd = lc_fdtable_max_fd(&lc_table);
	for (int fd = 0; fd <= max_fd && n < 64; fd++) {
		struct lc_fd_snapshot s;
		if (lc_fdtable_get(&lc_table, fd, &s) && s.kind == LC_FD_LISTENER)
			listeners_at_signal[n++] = (uint32_t)s.ino;
	}
	listeners_at_signal_count = n;
}

int lc_children_forward(int sig, pid_t *forwarded, int max)
{
	init_once();
	/* Only a process that feeds workers: a prefork master's workers
	 * share its listener and are left to it, and by now they may have
	 * swapped the stopped listener for a stand-in, which a look at
	 * their descriptors cannot tell from not sharing it (gunicorn's
	 * workers were told to drain so, 1 stop in 8). */
	if (!atomic_load(&lc_rt.hands_connections))
		return 0;
	if (listeners_at_signal_count < 0)
		lc_children_remember_listeners();
	/* No child at all (most servers): one system call, not a walk of
	 * every process of the host. WNOWAIT: nothing is reaped. */
	siginfo_t any;
	if (waitid(P_ALL, 0, &any, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD)
		return 0;
	static struct lc_proctree tree;
	if (!lc_proc_is_ours() || lc_proctree_read(&tree) < 0)
		return 0;
	pid_t kids[256];
	int n = lc_proctree_children(&tree, getpid(), kids, 256);
	if (n == 0)
		return 0;
	int count = 0;
	for (int i = 0; i < n; i++) {
		enum lc_server_state state = lc_server_state(kids[i], &lc_rt.cfg.signals);
		if (state == LC_SERVER_NONE)
			continue;
		/* A prefork worker shares a listener of ours: it steps out when
		 * we stop it, and its connections are waited for as before. (A
		 * child whose descriptors cannot be read counts as one.) */
		bool shares = false;
		for (int l = 0; l < listeners_at_signal_count && !shares; l++)
			shares = lc_proc_has_socket(kids[i], listeners_at_signal[l]);
		if (shares)
			continue;
		/* Told before: nothing new. Forked since we serve: noted at the
		 * fork, to be judged by its connections; it drains itself
		 * instead. */
		struct child *known = noted(kids[i]);
		if (known && known->drains_itself)
			continue;
		/* For a worker we feed whose word below is lost (signals.c):
		 * nothing more comes. Only in a process that has such
		 * children: everywhere else the name stays "lastcall-drain". */
		if (count == 0)
			lc_name_thread(atomic_load(&lc_rt.drain_tid), LC_DRAIN_THREAD_CLOSED);
		/* Already draining (a group's signal reached a server of its
		 * own): a second signal would end its drain early. Waited for
		 * all the same. A worker we feed looks ready until our word,
		 * even when a group's signal reached it first (signals.c). */
		if (state == LC_SERVER_READY)
			lc_raw_syscall6(SYS_kill, kids[i], sig, 0, 0, 0, 0);
		if (known)
			known->drains_itself = true;
		else
			note_draining_child(kids[i]);
		if (count < max)
			forwarded[count] = kids[i];
		count++;
	}
	return count;
}

bool lc_children_hold(uint64_t ino)
{
	init_once();
	for (int i = 0; i < LC_MAX_CHILDREN; i++) {
		struct child *c = &children[i];
		int pidfd = atomic_load(&c->pidfd);
		if (pidfd < 0)
			continue;
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		if (poll(&p, 1, 0) > 0)
			continue; /* exited */
		bool forked_with_it = c->inode_count > INODES_PER_CHILD || forked_with(c, ino);
		/* What it had at the fork may be gone: a CGI child exec'd its
		 * script, and the server's close-on-exec connections went with
		 * the exec (lighttpd: an idle connection was held as busy until
		 * every CGI stream forked after it had ended). */
		if (forked_with_it && lc_proc_has_socket(c->pid, ino))
			return true;
	}
	return false;
}
