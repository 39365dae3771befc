/* What lastcall does around the program's reads and writes: on tracked
 * connections, it follows their HTTP/1.x framing (proto/http1.h) and,
 * from the signal on, writes Connection: close into responses that start.
 *
 * Everything else pays one table load: the inline checks below decide,
 * and only connections go out of line. */
#ifndef LASTCALL_IOHOOKS_H
#define LASTCALL_IOHOOKS_H

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "base/real.h"
#include "hook/fdhooks.h"
#include "track/fdtable.h"

/* The connection's framing state, or NULL (most descriptors): the one
 * table load of the hot path. */
static inline struct lc_h1 *lc_io_connection(int fd)
{
	struct lc_h1 *h = lc_fdtable_h1(&lc_table, fd);
	return __builtin_expect(h != NULL, 0) ? h : NULL;
}

ssize_t lc_conn_read(struct lc_h1 *h, int fd, void *buf, size_t n, size_t size);
ssize_t lc_conn_readv(struct lc_h1 *h, int fd, const struct iovec *iov, int n);
ssize_t lc_conn_recvfrom(struct lc_h1 *h, int fd, void *buf, size_t n, size_t size, int flags,
			 struct sockaddr *from, socklen_t *len);
ssize_t lc_conn_recvmsg(struct lc_h1 *h, int fd, struct msghdr *msg, int flags);
ssize_t lc_conn_write(struct lc_h1 *h, int fd, const void *buf, size_t n);
ssize_t lc_conn_writev(struct lc_h1 *h, int fd, const struct iovec *iov, int n);
ssize_t lc_conn_sendto(struct lc_h1 *h, int fd, const void *buf, size_t n, int flags,
		       const struct sockaddr *to, socklen_t len);
ssize_t lc_conn_sendmsg(struct lc_h1 *h, int fd, const struct msghdr *msg, int flags);
ssize_t lc_io_sendfile(int out, int in, off_t *offset, size_t n);
ssize_t lc_io_splice(int in, loff_t *in_off, int out, loff_t *out_off, size_t n, unsigned flags);

/* `size`: the buffer's size for the _chk variants, (size_t)-1 without. */
static inline ssize_t lc_read(int fd, void *buf, size_t n, size_t size)
{
	struct lc_h1 *h = lc_io_connection(fd);
	if (h)
		return lc_conn_read(h, fd, buf, n, size);
	return size == (size_t)-1 ? lc_real_read(fd, buf, n) : lc_real___read_chk(fd, buf, n, size);
}

static inline ssize_t lc_readv(int fd, const struct iovec *iov, int n)
{
	struct lc_h1 *h = lc_io_connection(fd);
	return h ? lc_conn_readv(h, fd, iov, n) : lc_real_readv(fd, iov, n);
}

static inline ssize_t lc_recvfrom(int fd, void *buf, size_t n, size_t size, int flags,
				  struct sockaddr *from, socklen_t *len)
{
	struct lc_h1 *h = lc_io_connection(fd);
	if (h)
		return lc_conn_recvfrom(h, fd, buf, n, size, flags, from, len);
	return size == (size_t)-1 ? lc_real_recvfrom(fd, buf, n, flags, from, len)
				  : lc_real___recvfrom_chk(fd, buf, n, size, flags, from, len);
}

static inline ssize_t lc_recvmsg(int fd, struct msghdr *msg, int flags)
{
	struct lc_h1 *h = lc_io_connection(fd);
	ssize_t r = h ? lc_conn_recvmsg(h, fd, msg, flags) : lc_real_recvmsg(fd, msg, flags);
	/* The kernel sets msg_controllen to what it delivered: 0 without
	 * ancillary data, so the common case costs one load. */
	if (__builtin_expect(r >= 0 && msg->msg_controllen > 0, 0))
		lc_received_descriptors(msg);
	return r;
}

static inline ssize_t lc_write(int fd, const void *buf, size_t n)
{
	struct lc_h1 *h = lc_io_connection(fd);
	return h ? lc_conn_write(h, fd, buf, n) : lc_real_write(fd, buf, n);
}

static inline ssize_t lc_writev(int fd, const struct iovec *iov, int n)
{
	struct lc_h1 *h = lc_io_connection(fd);
	return h ? lc_conn_writev(h, fd, iov, n) : lc_real_writev(fd, iov, n);
}

static inline ssize_t lc_sendto(int fd, const void *buf, size_t n, int flags,
				const struct sockaddr *to, socklen_t len)
{
	struct lc_h1 *h = lc_io_connection(fd);
	return h ? lc_conn_sendto(h, fd, buf, n, flags, to, len)
		 : lc_real_sendto(fd, buf, n, flags, to, len);
}

static inline ssize_t lc_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct lc_h1 *h = lc_io_connection(fd);
	ssize_t r = h ? lc_conn_sendmsg(h, fd, msg, flags) : lc_real_sendmsg(fd, msg, flags);
	/* One load, as in lc_recvmsg: ancillary data is rare. */
	if (__builtin_expect(r >= 0 && msg->msg_controllen > 0, 0))
		lc_sent_descriptors(msg);
	return r;
}

#endif
