/* Reads and writes on tracked connections (see iohooks.h).
 *
 * Reads: the bytes the program got are fed to the framing tracker.
 * Writes go through proto/http1_send.c, which edits them from the signal
 * on; here they meet the system calls. */
#include "hook/iohooks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "base/errno_tls.h"
#include "base/export.h"
#include "base/runtime.h"
#include "proto/http1.h"
#include "proto/http1_send.h"
#include "track/identity.h"

/* --- reads --- */

static void saw_read(struct lc_h1 *h, const struct iovec *iov, int iovcnt, ssize_t got)
{
	if (got <= 0)
		return;
	size_t left = (size_t)got;
	for (int i = 0; i < iovcnt && left > 0; i++) {
		size_t n = iov[i].iov_len < left ? iov[i].iov_len : left;
		lc_h1_read(h, iov[i].iov_base, n);
		left -= n;
	}
}

LC_SERVING_CORE ssize_t lc_conn_read(struct lc_h1 *h, int fd, void *buf, size_t n, size_t size)
{
	lc_h1_enter(&h->req_busy);
	ssize_t r = size == (size_t)-1 ? lc_real_read(fd, buf, n) : lc_real___read_chk(fd, buf, n, size);
	if (r > 0)
		lc_h1_read(h, buf, (size_t)r);
	lc_h1_leave(&h->req_busy);
	return r;
}

LC_SERVING ssize_t lc_conn_readv(struct lc_h1 *h, int fd, const struct iovec *iov, int n)
{
	lc_h1_enter(&h->req_busy);
	ssize_t r = lc_real_readv(fd, iov, n);
	saw_read(h, iov, n, r);
	lc_h1_leave(&h->req_busy);
	return r;
}

/* MSG_PEEK leaves the bytes to be read again; MSG_TRUNC (TCP) discards
 * them without filling the buffer. */
static void saw_received(struct lc_h1 *h, const struct iovec *iov, int iovcnt, ssize_t got,
			 int flags)
{
	if (got <= 0 || (flags & MSG_PEEK))
		return;
	if (flags & MSG_TRUNC) {
		lc_h1_read_unseen(h, (uint64_t)got);
		return;
	}
	saw_read(h, iov, iovcnt, got);
}

LC_SERVING ssize_t lc_conn_recvfrom(struct lc_h1 *h, int fd, void *buf, size_t n, size_t size,
				    int flags, struct sockaddr *from, socklen_t *len)
{
	lc_h1_enter(&h->req_busy);
	ssize_t r = size == (size_t)-1 ? lc_real_recvfrom(fd, buf, n, flags, from, len)
				       : lc_real___recvfrom_chk(fd, buf, n, size, flags, from, len);
	struct iovec v = {.iov_base = buf, .iov_len = r > 0 ? (size_t)r : 0};
	saw_received(h, &v, 1, r, flags);
	lc_h1_leave(&h->req_busy);
	return r;
}

LC_SERVING ssize_t lc_conn_recvmsg(struct lc_h1 *h, int fd, struct msghdr *msg, int flags)
{
	lc_h1_enter(&h->req_busy);
	ssize_t r = lc_real_recvmsg(fd, msg, flags);
	if (r > 0)
		saw_received(h, msg->msg_iov, (int)msg->msg_iovlen, r, flags);
	lc_h1_leave(&h->req_busy);
	return r;
}

/* --- writes --- */

/* A write as the program made it. */
struct out_call {
	int fd;
	const struct iovec *iov;
	int iovcnt;
	int flags;
	const struct msghdr *msg; /* sendmsg and sendto: name and control data */
	enum { CALL_WRITE, CALL_WRITEV, CALL_SENDTO, CALL_SENDMSG } kind;
};

/* The socket behind fd is still the one the table recorded: lastcall
 * changes the bytes of that connection only, never of a descriptor
 * reused behind a close it did not see. */
static bool still_the_connection(int fd)
{
	struct lc_fd_snapshot seen;
	return lc_fdtable_get(&lc_table, fd, &seen) && seen.kind == LC_FD_CONNECTION &&
	       lc_connection_identify(&lc_table, fd, &seen);
}

/* lc_h1_send_fn: the program's call as made, or the edited bytes in one
 * sendmsg with the program's flags, name and control data. */
static ssize_t send_call(void *ctx, const struct iovec *iov, int iovcnt, bool edited)
{
	const struct out_call *c = ctx;
	if (edited) {
		int saved = errno;
		if (!still_the_connection(c->fd))
			return -2;
		errno = saved;
		struct msghdr m = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)iovcnt};
		if (c->msg) {
			m.msg_name = c->msg->msg_name;
			m.msg_namelen = c->msg->msg_namelen;
			m.msg_control = c->msg->msg_control;
			m.msg_controllen = c->msg->msg_controllen;
		}
		return lc_real_sendmsg(c->fd, &m, c->flags);
	}
	switch (c->kind) {
	case CALL_WRITE:
		return lc_real_write(c->fd, c->iov[0].iov_base, c->iov[0].iov_len);
	case CALL_WRITEV:
		return lc_real_writev(c->fd, c->iov, c->iovcnt);
	case CALL_SENDTO:
		return lc_real_sendto(c->fd, c->iov[0].iov_base, c->iov[0].iov_len, c->flags,
				      c->msg->msg_name, c->msg->msg_namelen);
	case CALL_SENDMSG:
		break;
	}
	return lc_real_sendmsg(c->fd, c->msg, c->flags);
}

static bool nonblocking(const struct out_call *c)
{
	if (c->flags & MSG_DONTWAIT)
		return true;
	int fl = lc_real_fcntl(c->fd, F_GETFL, 0);
	return fl >= 0 && (fl & O_NONBLOCK);
}

static ssize_t write_tracked_in(struct lc_h1 *h, const struct out_call *c)
{
	bool closing = lc_closing();
	uint32_t progress = closing ? lc_h1_progress(h) : 0;
	size_t total = 0;
	for (int i = 0; i < c->iovcnt; i++)
		total += c->iov[i].iov_len;
	/* Each round sends at least one byte; only lastcall's header (19
	 * bytes) can make a round that sends none of the program's. */
	for (int round = 0; round < LC_H1_CLOSE_HEADER_LEN + 2; round++) {
		ssize_t r = lc_h1_send(h, c->iov, c->iovcnt, closing, send_call, (void *)c);
		if (r == 0 && total > 0) {
			/* A nonblocking program is told to wait; a blocking one
			 * would have waited: send again. */
			if (nonblocking(c)) {
				errno = EAGAIN;
				return -1;
			}
			continue;
		}
		/* A response or a stream ended during the shutdown: the drain
		 * may close the connection. */
		if (closing && r > 0 && lc_h1_progress(h) != progress) {
			int saved = errno;
			lc_wake(LC_EV_CLOSED);
			errno = saved;
		}
		return r;
	}
	errno = EAGAIN;
	return -1;
}

static ssize_t write_tracked(struct lc_h1 *h, const struct out_call *c)
{
	lc_h1_enter(&h->resp_busy);
	ssize_t r = write_tracked_in(h, c);
	int saved = errno;
	lc_h1_leave(&h->resp_busy);
	errno = saved;
	return r;
}

/* Out of line, so that the serving path below saves no registers for it. */
__attribute__((noinline)) static ssize_t write_while_closing(struct lc_h1 *h, int fd,
							     const void *buf, size_t n)
{
	struct iovec v = {.iov_base = (void *)buf, .iov_len = n};
	struct out_call c = {.fd = fd, .iov = &v, .iovcnt = 1, .kind = CALL_WRITE};
	return write_tracked(h, &c);
}

LC_SERVING_CORE ssize_t lc_conn_write(struct lc_h1 *h, int fd, const void *buf, size_t n)
{
	/* While serving, a write goes out as it is and its bytes are fed to
	 * the tracker after (which sets no errno). */
	if (__builtin_expect(lc_closing(), 0))
		return write_while_closing(h, fd, buf, n);
	lc_h1_enter(&h->resp_busy);
	ssize_t r = lc_real_write(fd, buf, n);
	if (r > 0)
		lc_h1_wrote(h, buf, (size_t)r, false, NULL, 0);
	lc_h1_leave(&h->resp_busy);
	return r;
}

__attribute__((noinline)) static ssize_t writev_while_closing(struct lc_h1 *h, int fd,
							      const struct iovec *iov, int n)
{
	struct out_call c = {.fd = fd, .iov = iov, .iovcnt = n, .kind = CALL_WRITEV};
	return write_tracked(h, &c);
}

LC_SERVING ssize_t lc_conn_writev(struct lc_h1 *h, int fd, const struct iovec *iov, int n)
{
	if (__builtin_expect(lc_closing(), 0))
		return writev_while_closing(h, fd, iov, n);
	lc_h1_enter(&h->resp_busy);
	ssize_t r = lc_real_writev(fd, iov, n);
	size_t left = r > 0 ? (size_t)r : 0;
	for (int i = 0; i < n && left > 0; i++) {
		size_t part = iov[i].iov_len < left ? iov[i].iov_len : left;
		lc_h1_wrote(h, iov[i].iov_base, part, false, NULL, 0);
		left -= part;
	}
	lc_h1_leave(&h->resp_busy);
	return r;
}

LC_SERVING ssize_t lc_conn_sendto(struct lc_h1 *h, int fd, const void *buf, size_t n, int flags,
		       const struct sockaddr *to, socklen_t len)
{
	struct iovec v = {.iov_base = (void *)buf, .iov_len = n};
	struct msghdr m = {.msg_name = (void *)to, .msg_namelen = len};
	struct out_call c = {.fd = fd, .iov = &v, .iovcnt = 1, .flags = flags, .msg = &m,
			     .kind = CALL_SENDTO};
	return write_tracked(h, &c);
}

LC_SERVING ssize_t lc_conn_sendmsg(struct lc_h1 *h, int fd, const struct msghdr *msg, int flags)
{
	struct out_call c = {.fd = fd, .iov = msg->msg_iov, .iovcnt = (int)msg->msg_iovlen,
			     .flags = flags, .msg = msg, .kind = CALL_SENDMSG};
	return write_tracked(h, &c);
}

/* --- bytes the program moves without a buffer lastcall could read --- */

ssize_t lc_io_sendfile(int out, int in, off_t *offset, size_t n)
{
	struct lc_h1 *h = lc_io_connection(out);
	if (!h)
		return lc_real_sendfile(out, in, offset, n);
	lc_h1_enter(&h->resp_busy);
	ssize_t r = lc_real_sendfile(out, in, offset, n);
	if (r > 0)
		lc_h1_wrote_unseen(h, (uint64_t)r);
	lc_h1_leave(&h->resp_busy);
	return r;
}

ssize_t lc_io_splice(int in, loff_t *in_off, int out, loff_t *out_off, size_t n, unsigned flags)
{
	struct lc_h1 *to = lc_io_connection(out), *from = lc_io_connection(in);
	if (to)
		lc_h1_enter(&to->resp_busy);
	if (from)
		lc_h1_enter(&from->req_busy);
	ssize_t r = lc_real_splice(in, in_off, out, out_off, n, flags);
	if (r > 0) {
		if (to)
			lc_h1_wrote_unseen(to, (uint64_t)r);
		if (from)
			lc_h1_read_unseen(from, (uint64_t)r);
	}
	if (to)
		lc_h1_leave(&to->resp_busy);
	if (from)
		lc_h1_leave(&from->req_busy);
	return r;
}
