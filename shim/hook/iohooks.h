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
#include "track/fdtable.h"

static inline int lc_io_tracked(int fd)
{
	return __builtin_expect(lc_fdtable_kind(&lc_table, fd) == LC_FD_CONNECTION, 0);
}

ssize_t lc_conn_read(int fd, void *buf, size_t n, size_t size);
ssize_t lc_conn_readv(int fd, const struct iovec *iov, int n);
ssize_t lc_conn_recvfrom(int fd, void *buf, size_t n, size_t size, int flags,
			 struct sockaddr *from, socklen_t *len);
ssize_t lc_conn_recvmsg(int fd, struct msghdr *msg, int flags);
ssize_t lc_conn_write(int fd, const void *buf, size_t n);
ssize_t lc_conn_writev(int fd, const struct iovec *iov, int n);
ssize_t lc_conn_sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *to,
		       socklen_t len);
ssize_t lc_conn_sendmsg(int fd, const struct msghdr *msg, int flags);
ssize_t lc_io_sendfile(int out, int in, off_t *offset, size_t n);
ssize_t lc_io_splice(int in, loff_t *in_off, int out, loff_t *out_off, size_t n, unsigned flags);

/* `size`: the buffer's size for the _chk variants, (size_t)-1 without. */
static inline ssize_t lc_read(int fd, void *buf, size_t n, size_t size)
{
	if (!lc_io_tracked(fd))
		return size == (size_t)-1 ? lc_real_read(fd, buf, n)
					  : lc_real___read_chk(fd, buf, n, size);
	return lc_conn_read(fd, buf, n, size);
}

static inline ssize_t lc_readv(int fd, const struct iovec *iov, int n)
{
	return lc_io_tracked(fd) ? lc_conn_readv(fd, iov, n) : lc_real_readv(fd, iov, n);
}

static inline ssize_t lc_recvfrom(int fd, void *buf, size_t n, size_t size, int flags,
				  struct sockaddr *from, socklen_t *len)
{
	if (!lc_io_tracked(fd))
		return size == (size_t)-1 ? lc_real_recvfrom(fd, buf, n, flags, from, len)
					  : lc_real___recvfrom_chk(fd, buf, n, size, flags, from,
								   len);
	return lc_conn_recvfrom(fd, buf, n, size, flags, from, len);
}

static inline ssize_t lc_recvmsg(int fd, struct msghdr *msg, int flags)
{
	return lc_io_tracked(fd) ? lc_conn_recvmsg(fd, msg, flags) : lc_real_recvmsg(fd, msg, flags);
}

static inline ssize_t lc_write(int fd, const void *buf, size_t n)
{
	return lc_io_tracked(fd) ? lc_conn_write(fd, buf, n) : lc_real_write(fd, buf, n);
}

static inline ssize_t lc_writev(int fd, const struct iovec *iov, int n)
{
	return lc_io_tracked(fd) ? lc_conn_writev(fd, iov, n) : lc_real_writev(fd, iov, n);
}

static inline ssize_t lc_sendto(int fd, const void *buf, size_t n, int flags,
				const struct sockaddr *to, socklen_t len)
{
	return lc_io_tracked(fd) ? lc_conn_sendto(fd, buf, n, flags, to, len)
				 : lc_real_sendto(fd, buf, n, flags, to, len);
}

static inline ssize_t lc_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	return lc_io_tracked(fd) ? lc_conn_sendmsg(fd, msg, flags) : lc_real_sendmsg(fd, msg, flags);
}

#endif
