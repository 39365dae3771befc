/* What every protocol's sender shares (see send.h). */
#include "proto/send.h"

#include <errno.h>

void lc_send_commit(struct lc_h1 *h, const struct iovec *iov, int iovcnt, size_t sent, bool closing)
{
	for (int i = 0; i < iovcnt && sent > 0; i++) {
		size_t n = iov[i].iov_len < sent ? iov[i].iov_len : sent;
		lc_h1_wrote(h, iov[i].iov_base, n, closing, NULL, 0);
		sent -= n;
	}
}

int lc_iov_slice(struct iovec *out, int count, int max, const struct iovec *iov, int iovcnt,
		 size_t from, size_t to)
{
	size_t at = 0;
	for (int i = 0; i < iovcnt && from < to; i++) {
		size_t len = iov[i].iov_len;
		if (from < at + len) {
			size_t start = from - at;
			size_t end = to - at < len ? to - at : len;
			if (end > start) {
				if (count == max)
					return -1;
				out[count++] = (struct iovec){.iov_base = (char *)iov[i].iov_base + start,
							      .iov_len = end - start};
			}
			from = at + end;
		}
		at += len;
	}
	return count;
}

ssize_t lc_send_as_made(struct lc_h1 *h, const struct iovec *iov, int iovcnt, bool closing,
			lc_h1_send_fn send, void *ctx)
{
	ssize_t r = send(ctx, iov, iovcnt, false);
	if (r > 0) {
		int saved = errno;
		lc_send_commit(h, iov, iovcnt, (size_t)r, closing);
		errno = saved;
	}
	return r;
}
