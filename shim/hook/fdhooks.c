/* Descriptor hooks (see fdhooks.h). */
#include "hook/fdhooks.h"
#include "track/fdtable.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "base/errno_tls.h"
#include "base/export.h"
#include "base/real.h"
#include "base/runtime.h"
#include "hook/lifecycle.h"
#include "kernel/sockdiag.h"
#include "signal/signals.h"
#include "track/leaving.h"
#include "track/listeners.h"

/* A connection's accept time, in ticks of the coarse clock: a vDSO read
 * of a few ns; ages are reported to 0.1 s and the first-request grace is
 * 2 s (fdtable.h). */
LC_SERVING static uint32_t accept_ticks(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	return lc_fd_ticks((int64_t)now.tv_sec * 1000000000LL + now.tv_nsec);
}

LC_SERVING static void tracked(int fd, uint64_t identity, uint32_t since)
{
	lc_fdtable_set(&lc_table, fd, LC_FD_CONNECTION, identity, since);
	if (lc_phase() == LC_PHASE_STOPPING) {
		atomic_fetch_add(&lc_rt.counts.served_from_backlog, 1);
		lc_wake(LC_EV_ACCEPTED);
	}
}

/* A connection whose identity is its socket's inode (fstat): handed over,
 * or accepted from a Unix-domain listener (lc_fd_peer_id). */
LC_SERVING static void track_connection(int fd)
{
	struct stat st;
	int saved = errno;
	if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode))
		tracked(fd, (uint64_t)st.st_ino, accept_ticks());
	errno = saved;
}

/* Local ports found listening, so that the workers of node's cluster,
 * handed a connection per request, ask the kernel once per port. */
#define KNOWN_PORTS 16
static _Atomic unsigned known_listening[KNOWN_PORTS];

/* An inbound TCP connection, as if accepted here: connected (not a
 * listener, not one still connecting), on a local port some socket of
 * this network namespace listens on. An outgoing connection's local port
 * is an ephemeral one nobody listens on: a connection to a database
 * handed from process to process is not taken for a client's. Not
 * Unix-domain sockets: node's cluster hands those on too, but an
 * outgoing one cannot be told from an inbound one cheaply. */
static bool inbound_tcp_connection(int fd)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof local;
	if (getsockname(fd, (struct sockaddr *)&local, &len) < 0 ||
	    (local.ss_family != AF_INET && local.ss_family != AF_INET6))
		return false;
	struct tcp_info info;
	socklen_t info_len = sizeof info;
	/* fails on a socket that is not TCP (UDP, raw) */
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &info_len) < 0 ||
	    info.tcpi_state == TCP_LISTEN || info.tcpi_state == TCP_SYN_SENT ||
	    info.tcpi_state == TCP_CLOSE)
		return false;
	unsigned port = ntohs(local.ss_family == AF_INET ? ((struct sockaddr_in *)&local)->sin_port
							 : ((struct sockaddr_in6 *)&local)->sin6_port);
	for (int i = 0; i < KNOWN_PORTS; i++)
		if (atomic_load_explicit(&known_listening[i], memory_order_relaxed) == port)
			return true;
	if (lc_tcp_port_listening(port) != 1)
		return false;
	for (int i = 0; i < KNOWN_PORTS; i++) {
		unsigned empty = 0;
		if (atomic_compare_exchange_strong(&known_listening[i], &empty, port))
			break;
	}
	return true;
}

/* Calls visit for each descriptor passed in msg's SCM_RIGHTS messages. */
static void for_each_passed_fd(const struct msghdr *msg, void (*visit)(int fd))
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		const unsigned char *data = CMSG_DATA(c);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, data + i * sizeof fd, sizeof fd);
			if (fd >= 0)
				visit(fd);
		}
	}
}

static void received(int fd)
{
	/* A number the kernel just gave: any entry there is stale. */
	if (!inbound_tcp_connection(fd))
		return;
	lc_activate();
	atomic_store(&lc_rt.handed_connections, true);
	track_connection(fd);
}

__attribute__((noinline, cold)) void lc_received_descriptors(const struct msghdr *msg)
{
	int saved = errno;
	for_each_passed_fd(msg, received);
	errno = saved;
}

static void sent(int fd)
{
	if (lc_fdtable_kind(&lc_table, fd) == LC_FD_CONNECTION)
		atomic_store(&lc_rt.hands_connections, true);
}

__attribute__((noinline, cold)) void lc_sent_descriptors(const struct msghdr *msg)
{
	if (!atomic_load_explicit(&lc_rt.hands_connections, memory_order_relaxed))
		for_each_passed_fd(msg, sent);
}

/* During shutdown, a connection closed with bytes still queued is
 * watched until they are delivered. Out of line and cold: inlined, its
 * registers would cost every close of a connection while serving. */
__attribute__((noinline, cold)) static void note_leaving(int fd)
{
	struct lc_fd_snapshot seen;
	if (lc_fdtable_get(&lc_table, fd, &seen) && seen.kind == LC_FD_CONNECTION) {
		int saved = errno;
		lc_leaving_note(fd);
		errno = saved;
	}
}

static void closed(enum lc_fd_kind kind)
{
	if (kind == LC_FD_CONNECTION && lc_phase() >= LC_PHASE_NOTICED) {
		int saved = errno;
		lc_wake(LC_EV_CLOSED);
		errno = saved;
	}
}

/* The listener behind `fd` was stopped by lastcall and its accept failed
 * (a thread woken by shutdown gets EINVAL). The program must not see that:
 * retry on the inert stand-in, or, if there is none, act as an empty
 * listener would. Returns 1 to retry, or -1 with errno set. */
static int as_empty_listener(int fd);

static int accept_on_stopped(int fd)
{
	struct lc_fd_snapshot seen;
	struct stat st;
	if (fstat(fd, &st) == 0 && lc_fdtable_get(&lc_table, fd, &seen) &&
	    lc_fd_same_ino(seen.ino, (uint64_t)st.st_ino))
		return 1;
	return as_empty_listener(fd);
}

/* What accept on a listener with no connection coming does: EAGAIN, or
 * (blocking) wait until a signal handler interrupts. Always -1. */
static int as_empty_listener(int fd)
{
	int fl = lc_real_fcntl(fd, F_GETFL, 0);
	if (fl >= 0 && (fl & O_NONBLOCK)) {
		errno = EAGAIN;
		return -1;
	}
	/* Blocking: wait like an accept with no connection coming, until a
	 * signal handler interrupts it. */
	ppoll(NULL, 0, NULL, NULL);
	errno = EINTR;
	return -1;
}

/* An accept's arguments, for the rare retry after EINVAL. */
struct accept_call {
	struct sockaddr *addr;
	socklen_t *len;
	int fd, flags, is_accept4;
	socklen_t room;		   /* of the buffer the peer's address goes to */
	socklen_t peer_len;	   /* lastcall's own buffer, when the program has none */
	struct sockaddr_in6 peer;
};

static int accept_failed_einval(const struct accept_call *c);

/* A connection fresh from accept, with the peer's address the kernel
 * returned, in the program's buffer or lastcall's own (`peer`): its
 * identity for now is the peer's (LC_FD_PEER_ID), no system call. Out of
 * line: inlined, its registers would cost every accept that finds no
 * connection. */
LC_CONNECTION __attribute__((noinline)) static void track_accepted(int fd,
								    const struct accept_call *c)
{
	const void *addr = c->addr ? (const void *)c->addr : &c->peer;
	socklen_t len = c->addr ? *c->len : c->peer_len;
	uint32_t id;
	if (len > c->room || !lc_fd_peer_id(addr, len, &id)) {
		track_connection(fd);
		return;
	}
	int saved = errno;
	tracked(fd, id, accept_ticks() | LC_FD_PEER_ID);
	errno = saved;
}

static inline int real_accept(int fd, struct sockaddr *addr, socklen_t *len, int flags,
			      int is_accept4)
{
	return is_accept4 ? lc_real_accept4(fd, addr, len, flags) : lc_real_accept(fd, addr, len);
}

LC_CONNECTION int lc_accept(int fd, struct sockaddr *addr, socklen_t *len, int flags,
			    int is_accept4)
{
	lc_activate();
	/* Kept in memory across the call rather than in callee-saved
	 * registers that every accept would push and pop: only a new
	 * connection and the retry read them back. The empty asm, which takes
	 * c's address, makes the compiler store c before the call (make
	 * bench, accept_empty: 48 instructions before, 37 with it). */
	struct accept_call c; /* field by field: its `peer` is for the kernel to fill */
	c.addr = addr, c.len = len, c.fd = fd, c.flags = flags, c.is_accept4 = is_accept4;
	/* The peer's address is the new connection's identity (track_accepted):
	 * asked for here when the program does not ask for it itself. */
	if (addr) {
		c.room = len ? *len : 0; /* no len: the kernel's EFAULT, as without lastcall */
	} else {
		c.room = c.peer_len = sizeof c.peer;
		addr = (struct sockaddr *)&c.peer, len = &c.peer_len;
	}
	__asm__ volatile("" : : "r"(&c) : "memory");
	int r = real_accept(fd, addr, len, flags, is_accept4);
	if (r >= 0) {
		track_accepted(r, &c);
		return r;
	}
	/* Only EINVAL can mean "stopped under you"; everything else (EAGAIN
	 * above all) is the program's and returns untouched without a lookup. */
	if (__builtin_expect(errno != EINVAL, 1))
		return r;
	return accept_failed_einval(&c);
}

/* Out of line: the fast path above needs no frame for it. Loops only
 * while the listener was swapped for its inert stand-in. */
__attribute__((noinline)) static int accept_failed_einval(const struct accept_call *c)
{
	int fd = c->fd, flags = c->flags, is_accept4 = c->is_accept4;
	struct sockaddr *addr = c->addr;
	socklen_t *len = c->len;
	bool swapped_retried = false;
	/* r: the failed attempt that brought us here (errno EINVAL), then each retry */
	for (int r = -1;; r = real_accept(fd, addr, len, flags, is_accept4)) {
		if (r >= 0) {
			track_connection(r);
			return r;
		}
		int saved = errno;
		struct lc_fd_snapshot seen;
		if (saved != EINVAL || !lc_fdtable_get(&lc_table, fd, &seen)) {
			errno = saved;
			return r;
		}
		if (seen.kind == LC_FD_LISTENER && !lc_still_listening(fd)) {
			/* The owner of a shared listener (a prefork master) shut it
			 * down: this process steps out and waits like an empty
			 * listener, whatever its own phase. */
			if (lc_listener_step_out(&lc_table, fd) == 0)
				continue;
			return as_empty_listener(fd); /* never a retry loop */
		}
		/* Still a listener by the table, and the number listens, but not
		 * on the socket the table knows: it was just pointed at the
		 * stand-in (replace_with_inert: dup3, then the table), and the
		 * shutdown of the one this accept waited on woke it in between.
		 * A prefork worker saw that EINVAL when its master and its own
		 * drain stopped the shared listener at once (test_prefork, about
		 * 1 run in 100). Accept again on what the number is now, once. */
		struct stat st;
		if (seen.kind == LC_FD_LISTENER && !swapped_retried && fstat(fd, &st) == 0 &&
		    !lc_fd_same_ino(seen.ino, (uint64_t)st.st_ino)) {
			swapped_retried = true;
			continue;
		}
		if (seen.kind != LC_FD_STOPPED_LISTENER) {
			errno = saved;
			return r;
		}
		if (accept_on_stopped(fd) < 0)
			return -1;
	}
}

int lc_listen(int fd, int backlog)
{
	int r = lc_real_listen(fd, backlog);
	if (r == 0) {
		int saved = errno;
		lc_activate();
		lc_listener_created(&lc_table, fd);
		lc_trace_listener(fd);
		errno = saved;
	}
	return r;
}

static int close_recorded(int fd);

/* An epoll registration belongs to the open file: when lastcall stopped
 * a listener, the stand-in it put on the number has none, and the
 * program's own removal (EPOLL_CTL_DEL) or change (MOD) of it, at its
 * shutdown, fails with ENOENT -- lighttpd logged "fdevent event_del
 * failed on fd 3" at every stop under lastcall. The registration is gone,
 * as the removal asked; a change is moot on a socket that never wakes. */
LC_CONNECTION int lc_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	int saved = errno;
	int r = lc_real_epoll_ctl(epfd, op, fd, event);
	if (__builtin_expect(r < 0, 0) && errno == ENOENT &&
	    (op == EPOLL_CTL_DEL || op == EPOLL_CTL_MOD) &&
	    lc_fdtable_kind(&lc_table, fd) == LC_FD_STOPPED_LISTENER) {
		errno = saved; /* as a successful call leaves it */
		return 0;
	}
	return r;
}

LC_CONNECTION int lc_close(int fd)
{
	/* The common case: serving, a descriptor with no entry, no signalfd in
	 * the program. Three loads and a tail call; see bench/. */
	if (__builtin_expect(lc_phase() == LC_PHASE_SERVING &&
				     lc_fdtable_kind(&lc_table, fd) == LC_FD_FREE &&
				     !lc_signalfds_present(),
			     1))
		return lc_real_close(fd);
	return close_recorded(fd);
}

/* Out of line, so that the common case above needs no stack frame. */
LC_CONNECTION __attribute__((noinline)) static int close_recorded(int fd)
{
	if (lc_phase() >= LC_PHASE_NOTICED)
		note_leaving(fd);
	enum lc_fd_kind kind = lc_fdtable_forget(&lc_table, fd);
	if (lc_signalfds_present())
		lc_signalfd_closed(fd);
	int r = lc_real_close(fd);
	closed(kind);
	return r;
}

static void forget_range(unsigned first, unsigned last)
{
	int max = lc_fdtable_max_fd(&lc_table);
	int hi = last > (unsigned)max ? max : (int)last;
	if ((int)first > hi)
		return;
	if (lc_fdtable_forget_range(&lc_table, (int)first, hi) > 0)
		closed(LC_FD_CONNECTION);
}

int lc_close_range(unsigned first, unsigned last, int flags)
{
	int r = lc_real_close_range(first, last, flags);
	if (r == 0 && !(flags & CLOSE_RANGE_CLOEXEC)) {
		int saved = errno;
		forget_range(first, last);
		errno = saved;
	}
	return r;
}

void lc_closefrom(int lowfd)
{
	lc_real_closefrom(lowfd);
	int saved = errno;
	if (lowfd >= 0)
		forget_range((unsigned)lowfd, ~0U);
	errno = saved;
}

int lc_fclose(FILE *f)
{
	int fd = f ? fileno(f) : -1;
	if (fd >= 0 && lc_phase() >= LC_PHASE_NOTICED)
		note_leaving(fd);
	enum lc_fd_kind kind = fd >= 0 ? lc_fdtable_forget(&lc_table, fd) : LC_FD_FREE;
	int r = lc_real_fclose(f);
	closed(kind);
	return r;
}

static int copied(int from, int to)
{
	if (to >= 0 && to != from) {
		int saved = errno;
		closed(lc_fdtable_copy(&lc_table, from, to));
		errno = saved;
	}
	return to;
}

int lc_dup(int fd)
{
	return copied(fd, lc_real_dup(fd));
}

int lc_dup2(int oldfd, int newfd)
{
	return copied(oldfd, lc_real_dup2(oldfd, newfd));
}

int lc_dup3(int oldfd, int newfd, int flags)
{
	return copied(oldfd, lc_real_dup3(oldfd, newfd, flags));
}

int lc_fcntl(int fd, int cmd, long arg)
{
	int r = lc_real_fcntl(fd, cmd, arg);
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		copied(fd, r);
	return r;
}

/* libuv (node) closes through syscall(SYS_close, fd), never through
 * close(): without this the table would not notice until its next check. */
long lc_syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6)
{
	switch (number) {
	case SYS_close:
		return lc_close((int)a1);
	case SYS_close_range:
		return lc_close_range((unsigned)a1, (unsigned)a2, (int)a3);
	case SYS_dup:
		return lc_dup((int)a1);
	case SYS_dup3:
		return lc_dup3((int)a1, (int)a2, (int)a3);
#ifdef SYS_dup2
	case SYS_dup2:
		return copied((int)a1, (int)lc_real_syscall(number, a1, a2, 0, 0, 0, 0));
#endif
	case SYS_accept:
		return lc_accept((int)a1, (struct sockaddr *)a2, (socklen_t *)a3, 0, 0);
	case SYS_accept4:
		return lc_accept((int)a1, (struct sockaddr *)a2, (socklen_t *)a3, (int)a4, 1);
	case SYS_listen:
		return lc_listen((int)a1, (int)a2);
	default:
		return lc_real_syscall(number, a1, a2, a3, a4, a5, a6);
	}
}
