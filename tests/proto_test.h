/* What the tests of shim/proto/ share, unit tests and fuzzers alike:
 * bytes fed to a tracker in random cuts, and a fake kernel for the send
 * paths (proto/http1_send.h, proto/h2_send.h) that takes 1..max bytes of
 * what it is given (now and then none: EAGAIN) and appends them to what
 * the client received (with max 0 it takes all). */
#ifndef LASTCALL_PROTO_TEST_H
#define LASTCALL_PROTO_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "proto/http1.h"

/* An HTTP/2 frame header (RFC 9113 4.1) at `out`; returns its 9 bytes. */
static inline size_t h2_frame_header(unsigned char *out, uint32_t len, uint8_t type, uint8_t flags,
				     uint32_t stream)
{
	out[0] = (unsigned char)(len >> 16);
	out[1] = (unsigned char)(len >> 8);
	out[2] = (unsigned char)len;
	out[3] = type;
	out[4] = flags;
	out[5] = (unsigned char)(stream >> 24);
	out[6] = (unsigned char)(stream >> 16);
	out[7] = (unsigned char)(stream >> 8);
	out[8] = (unsigned char)stream;
	return 9;
}

/* Feeds `n` bytes to the tracker as the program's reads (`from_client`)
 * or writes, in pieces of 1..max_piece bytes drawn from `seed` (NULL:
 * whole). */
static inline void feed_cut(struct lc_h1 *h, const void *p, size_t n, bool from_client,
			    unsigned *seed, size_t max_piece)
{
	for (size_t at = 0; at < n;) {
		size_t piece = seed ? 1 + (size_t)rand_r(seed) % max_piece : n - at;
		if (piece > n - at)
			piece = n - at;
		if (from_client)
			lc_h1_read(h, (const char *)p + at, piece);
		else
			lc_h1_wrote(h, (const char *)p + at, piece, false, NULL, 0);
		at += piece;
	}
}

struct fake_kernel {
	char received[1 << 16];
	size_t len;
	unsigned seed;		/* rand_r's state */
	size_t max;		/* most bytes taken by one call; 0: all */
	unsigned eagain_one_in; /* with max: EAGAIN once in that many calls */
	int edited_calls;	/* calls with lastcall's edits */
};

static inline ssize_t fake_send(void *ctx, const struct iovec *iov, int iovcnt, bool edited)
{
	struct fake_kernel *k = ctx;
	size_t total = 0;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	size_t take = total;
	if (k->max) {
		if (k->eagain_one_in && rand_r(&k->seed) % k->eagain_one_in == 0) {
			errno = EAGAIN;
			return -1;
		}
		take = 1 + (size_t)rand_r(&k->seed) % k->max;
		if (take > total)
			take = total;
	}
	if (k->len + take > sizeof k->received)
		abort();
	k->edited_calls += edited;
	size_t left = take;
	for (int i = 0; i < iovcnt && left > 0; i++) {
		size_t n = iov[i].iov_len < left ? iov[i].iov_len : left;
		memcpy(k->received + k->len, iov[i].iov_base, n);
		k->len += n;
		left -= n;
	}
	return (ssize_t)take;
}

#endif
