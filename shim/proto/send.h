/* What the senders of every protocol share (proto/http1_send.c,
 * proto/h2_send.c): the program's write as it made it, feeding the
 * tracker with what left, and the slicing of its bytes into the pieces
 * of an edited write. */
#ifndef LASTCALL_SEND_H
#define LASTCALL_SEND_H

#include <stdbool.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "proto/http1.h"

/* Sends once. `edited` false: the program's own call, as it made it
 * (`iov` is its bytes); true: `iov` is the edited bytes, to go out in one
 * call. Returns the bytes the kernel took, or -1 with errno; for an
 * edited send it may refuse with -2 (the descriptor is no longer the
 * connection the tracker followed): the write then goes out as made. */
typedef ssize_t (*lc_h1_send_fn)(void *ctx, const struct iovec *iov, int iovcnt, bool edited);

/* Feeds the tracker the first `sent` bytes of the program's write. */
void lc_send_commit(struct lc_h1 *h, const struct iovec *iov, int iovcnt, size_t sent, bool closing);
/* The program's call as it made it, its bytes then fed to the tracker. */
ssize_t lc_send_as_made(struct lc_h1 *h, const struct iovec *iov, int iovcnt, bool closing,
			lc_h1_send_fn send, void *ctx);
/* Appends the program's bytes [from, to) of `iov` to out[count..max) as
 * pieces; returns the new count, -1 if they do not fit. */
int lc_iov_slice(struct iovec *out, int count, int max, const struct iovec *iov, int iovcnt,
		 size_t from, size_t to);

#endif
