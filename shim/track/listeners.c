/* Finding and stopping listeners (see listeners.h). */
#include "track/fdtable.h"
#include "track/listeners.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fdroom.h"
#include "base/real.h"
#include "base/runtime.h"
#include "kernel/fdscan.h"
#include "kernel/proctree.h"
#include "kernel/sockdiag.h"

struct find_ctx {
	struct lc_fdtable *table;
	struct lc_listener_set *set;
	int skip_fd;
};

static void consider_fd(int fd, void *opaque)
{
	struct find_ctx *ctx = opaque;
	struct stat st;
	int accepting = 0, type = 0, domain = 0;
	socklen_t len = sizeof accepting;
	if (fd == ctx->skip_fd || ctx->set->count >= LC_MAX_LISTENERS)
		return;
	if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode))
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) < 0 || !accepting)
		return;
	len = sizeof type;
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    (type != SOCK_STREAM && type != SOCK_SEQPACKET))
		return;
	struct lc_fd_snapshot seen;
	if (lc_fdtable_get(ctx->table, fd, &seen) && seen.kind == LC_FD_STOPPED_LISTENER &&
	    lc_fd_same_ino(seen.ino, st.st_ino))
		return; /* our inert stand-in */
	len = sizeof domain;
	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len);

	struct lc_listener *l = &ctx->set->items[ctx->set->count++];
	memset(l, 0, sizeof *l);
	l->fd = fd;
	l->role = LC_LISTENER_OWNED;
	l->owner = getpid();
	if (lc_fdtable_get(ctx->table, fd, &seen) && seen.kind == LC_FD_LISTENER &&
	    lc_fd_same_ino(seen.ino, st.st_ino)) {
		l->owner = (pid_t)seen.since;
		/* Inherited from a process that still runs (a prefork master);
		 * one that is gone (a daemon's first process) left it to us. */
		if (l->owner != getpid() && lc_raw_syscall6(SYS_kill, l->owner, 0, 0, 0, 0, 0) == 0)
			l->role = LC_LISTENER_INHERITED;
		else
			l->owner = getpid();
	} else if (lc_rt.socket_activated) {
		l->role = LC_LISTENER_MANAGED;
	}
	/* Children forked since may hold it: only shutdown() closes it for all. */
	l->shared = l->role != LC_LISTENER_OWNED || atomic_load(&lc_rt.forks) > 0;
	l->family = domain;
	l->tcp = (domain == AF_INET || domain == AF_INET6) && type == SOCK_STREAM;
	lc_local_text(fd, l->local);
	l->port = lc_local_port(fd);
}

void lc_listeners_find(struct lc_fdtable *t, struct lc_listener_set *set, int skip_fd)
{
	struct find_ctx ctx = {.table = t, .set = set, .skip_fd = skip_fd};
	set->count = 0;
	if (lc_for_each_fd(consider_fd, &ctx) >= 0)
		return;
	/* /proc/self/fd could not be opened (a program at its descriptor
	 * limit): the listeners the program created through listen() are in
	 * the table; consider_fd checks each against the kernel. */
	int max = lc_fdtable_max_fd(t);
	for (int fd = 0; fd <= max; fd++) {
		struct lc_fd_snapshot seen;
		if (lc_fdtable_get(t, fd, &seen) && seen.kind == LC_FD_LISTENER)
			consider_fd(fd, &ctx);
	}
}

/* Classic BPF run on each segment reaching the listener, with the packet
 * starting at the TCP header: byte 13 holds the flags. A pure SYN
 * (SYN set, ACK clear) is dropped; everything else passes. Dropping all
 * segments instead would also drop the final ACKs of handshakes already
 * answered, and lose those connections (measured: LINUX-NOTES). */
int lc_listener_block_syn(struct lc_listener *l)
{
	static struct sock_filter drop_syn[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 13),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x12),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x02, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
	};
	struct sock_fprog prog = {.len = sizeof drop_syn / sizeof drop_syn[0], .filter = drop_syn};
	if (!l->tcp)
		return 0;
	/* Refused (EPERM) to unprivileged processes where
	 * kernel.unprivileged_bpf_disabled is set: the stop then has no SYN
	 * barrier, and a connection completing between the last backlog check
	 * and the stop can be reset (README, Limits). */
	if (setsockopt(l->fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) < 0)
		return -1;
	l->syn_blocked = true;
	/* listen() on a listening socket only changes its backlog. A small one
	 * (python's http.server asks for 5) overflows under load: final ACKs
	 * are dropped and SYN cookies leave no trace on the server. With room
	 * in the queue the clients' retransmissions land, and are served. */
	lc_real_listen(l->fd, 4096);
	return 0;
}

long lc_listener_drops(const struct lc_listener *l)
{
	uint32_t meminfo[SK_MEMINFO_VARS];
	socklen_t len = sizeof meminfo;
	memset(meminfo, 0, sizeof meminfo);
	if (!l->tcp || getsockopt(l->fd, SOL_SOCKET, SO_MEMINFO, meminfo, &len) < 0 ||
	    len <= SK_MEMINFO_DROPS * sizeof meminfo[0])
		return -1;
	return (long)meminfo[SK_MEMINFO_DROPS];
}

long lc_listener_overflow_drops(const struct lc_listener *l)
{
	long drops = lc_listener_drops(l);
	int defer = 0;
	socklen_t len = sizeof defer;
	if (drops <= 0 || getsockopt(l->fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, &len) < 0 ||
	    defer == 0)
		return drops;
	long deferred = lc_tcpext_counter("TCPDeferAcceptDrop");
	if (deferred < 0)
		return 0; /* cannot tell: a deferring listener drops by design */
	return drops > deferred ? drops - deferred : 0;
}

/* For a listener, TCP_INFO's tcpi_unacked is the accept queue's length and
 * tcpi_sacked its limit. */
static bool listener_tcp_info(const struct lc_listener *l, struct tcp_info *info)
{
	socklen_t len = sizeof *info;
	memset(info, 0, sizeof *info);
	return l->tcp && getsockopt(l->fd, IPPROTO_TCP, TCP_INFO, info, &len) == 0 &&
	       info->tcpi_state == 10 /* TCP_LISTEN */;
}

bool lc_listener_queue_full(const struct lc_listener *l)
{
	struct tcp_info info;
	/* The kernel drops once the queue holds more than its limit. */
	return listener_tcp_info(l, &info) && info.tcpi_unacked > info.tcpi_sacked;
}

long lc_listener_backlog_limit(const struct lc_listener *l)
{
	struct tcp_info info;
	return listener_tcp_info(l, &info) ? (long)info.tcpi_sacked : -1;
}

long lc_listener_backlog(const struct lc_listener *l)
{
	if (l->family == AF_UNIX) {
		struct stat st;
		return fstat(l->fd, &st) == 0 ? lc_unix_backlog((uint64_t)st.st_ino) : -1;
	}
	struct tcp_info info;
	return listener_tcp_info(l, &info) ? (long)info.tcpi_unacked : -1;
}

/* A listening socket nobody can reach: bound (IP_FREEBIND, no privilege
 * needed) to 192.0.2.1, an address reserved for documentation (RFC 5737)
 * that is never local, so no packet is ever delivered to it. accept() on
 * it blocks forever (or reports EAGAIN); poll/epoll never report it
 * readable. (A drop-all socket filter would do too, but kernels with
 * kernel.unprivileged_bpf_disabled refuse filters to unprivileged
 * processes: measured EPERM here.) */
static int inert_listener(bool nonblocking)
{
	int fd = LC_WITH_ROOM(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0));
	if (fd < 0)
		return -1;
	int one = 1;
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0xC0000201)};
	if (setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one) < 0 ||
	    bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || lc_real_listen(fd, 1) < 0) {
		lc_real_close(fd);
		return -1;
	}
	return fd;
}

void lc_listener_created(struct lc_fdtable *t, int fd)
{
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
		lc_fdtable_set(t, fd, LC_FD_LISTENER, (uint64_t)st.st_ino, (uint32_t)getpid());
}

bool lc_still_listening(int fd)
{
	int accepting = 0;
	socklen_t len = sizeof accepting;
	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &len) == 0 && accepting;
}

/* Points fd at an inert stand-in; returns the stand-in's identity in *ino. */
static bool replace_with_inert(struct lc_fdtable *t, int fd)
{
	int fd_flags = lc_real_fcntl(fd, F_GETFD, 0);
	int fl_flags = lc_real_fcntl(fd, F_GETFL, 0);
	if (fd_flags < 0 || fl_flags < 0)
		return false;
	int inert = inert_listener(fl_flags & O_NONBLOCK);
	struct stat st;
	bool replaced = inert >= 0 && fstat(inert, &st) == 0 &&
			lc_real_dup3(inert, fd, (fd_flags & FD_CLOEXEC) ? O_CLOEXEC : 0) >= 0;
	if (replaced)
		lc_fdtable_set(t, fd, LC_FD_STOPPED_LISTENER, (uint64_t)st.st_ino, 0);
	if (inert >= 0)
		lc_real_close(inert);
	return replaced;
}

int lc_listener_step_out(struct lc_fdtable *t, int fd)
{
	int saved = errno;
	bool replaced = replace_with_inert(t, fd);
	errno = saved;
	return replaced ? 0 : -1;
}

/* Stopping, with the kernel facts that force each step:
 * - Closing a listener does not wake a thread blocked in accept() on it;
 *   shutdown() does (accept returns EINVAL) and makes the port refuse.
 * - But a shut-down listener polls as HUP: an event loop still watching it
 *   would be woken, call accept(), and (blocking listener) hang.
 * - An epoll registration belongs to the open file and disappears silently
 *   when the last reference to that file goes.
 * So the fd number is first pointed (dup3) at an inert stand-in; the
 * original, held through a private dup, is shut down only if a thread is
 * blocked in accept on it, then closed: the last reference goes, the port
 * refuses, the event loop's registration vanishes with it. The accept
 * wrapper turns the EINVAL a woken thread gets into a wait on the stand-in. */
int lc_listener_stop(struct lc_fdtable *t, struct lc_listener *l)
{
	if (l->role != LC_LISTENER_OWNED)
		return lc_listener_step_out(t, l->fd);
	int original = lc_real_fcntl(l->fd, F_DUPFD_CLOEXEC, 3);
	if (original < 0)
		return -1;
	bool replaced = replace_with_inert(t, l->fd);
	int saved = errno;
	/* Threads that entered accept, poll or select before the dup3 hold the
	 * original: only shutdown() wakes them (poll and select re-read the
	 * fd number when woken and find the stand-in). An epoll registration
	 * holds nothing: closing the last reference is enough, and silent.
	 * shutdown() is not silent: the socket polls as HUP until that last
	 * reference goes, and the program's registration reports it again
	 * and again (lighttpd logged "strange event for server socket" 1,100
	 * times in 7 ms while the drain thread was preempted before its
	 * close). So it is kept for listeners another process really holds:
	 * a prefork worker does, a CGI child that exec'd does not. */
	bool others_hold = l->shared;
	if (others_hold && l->role == LC_LISTENER_OWNED) {
		struct stat st;
		static struct lc_proctree tree; /* 48 KiB: only the drain thread stops listeners */
		others_hold = fstat(original, &st) < 0 ||
			      lc_descendants_hold_socket((uint64_t)st.st_ino, &tree);
	}
	if (!replaced || lc_threads_waiting_on(l->fd) > 0 || others_hold)
		shutdown(original, SHUT_RDWR);
	lc_real_close(original);
	errno = saved;
	return 0;
}
