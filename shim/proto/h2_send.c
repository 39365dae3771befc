/* The GOAWAY between the program's frames (see h2_send.h). */
#include "proto/h2_send.h"
#include "proto/send.h"

#include <errno.h>
#include <string.h>

#define MAX_PROGRAM_IOV 32
#define MAX_EDITED_IOV (MAX_PROGRAM_IOV + 2)

/* Where the program's first frame boundary falls in its write, counted
 * in its bytes; total + 1 if none does. */
static size_t first_boundary(const struct lc_h1 *h, const struct iovec *iov, int iovcnt,
			     size_t total)
{
	struct lc_h2_side side = h->h2_write;
	if (lc_h2_goaway_may_go(&side))
		return 0;
	size_t at = 0;
	for (int i = 0; i < iovcnt; i++) {
		size_t b = lc_h2_next_boundary(&side, iov[i].iov_base, iov[i].iov_len);
		if (b <= iov[i].iov_len)
			return at + b;
		/* not in this piece: move the copy past it */
		struct lc_h2_streams scratch = {0};
		lc_h2_wrote(&side, &scratch, iov[i].iov_base, iov[i].iov_len);
		at += iov[i].iov_len;
	}
	(void)total;
	return at + 1;
}

/* The program's first `at` bytes hold a GOAWAY of its own, or frames the
 * tracker stops following at (lastcall then adds nothing). */
static bool goaway_before(const struct lc_h1 *h, const struct iovec *iov, int iovcnt, size_t at)
{
	struct lc_h2_side side = h->h2_write;
	struct lc_h2_streams scratch = {0};
	for (int i = 0; i < iovcnt && at > 0; i++) {
		size_t n = iov[i].iov_len < at ? iov[i].iov_len : at;
		if (lc_h2_wrote(&side, &scratch, iov[i].iov_base, n) != LC_H2_OK)
			return true;
		at -= n;
	}
	return false;
}

size_t lc_h2_goaway_left(const struct lc_h1 *h)
{
	if (atomic_load_explicit(&h->h2_goaway, memory_order_relaxed) == LC_H2_GOAWAY_SENT ||
	    atomic_load_explicit(&h->proto, memory_order_relaxed) != LC_PROTO_H2)
		return 0;
	return LC_H2_GOAWAY_LEN - h->ins_sent;
}

ssize_t lc_h2_send(struct lc_h1 *h, const struct iovec *iov, int iovcnt, bool closing,
		   lc_h1_send_fn send, void *ctx)
{
	uint8_t goaway = atomic_load_explicit(&h->h2_goaway, memory_order_relaxed);
	if (!closing || goaway == LC_H2_GOAWAY_SENT || goaway == LC_H2_GOAWAY_DRAIN ||
	    iovcnt > MAX_PROGRAM_IOV)
		return lc_send_as_made(h, iov, iovcnt, false, send, ctx);
	size_t total = 0;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	size_t at = first_boundary(h, iov, iovcnt, total);
	if (at > total || goaway_before(h, iov, iovcnt, at))
		/* No boundary yet: the GOAWAY waits for a later write. Or the
		 * program says goodbye itself first: a last-stream-id sent may
		 * never grow again, so lastcall adds none. */
		return lc_send_as_made(h, iov, iovcnt, false, send, ctx);
	/* The drain thread sends it on an idle connection: one of us only. */
	uint8_t expected = LC_H2_GOAWAY_NONE;
	if (goaway == LC_H2_GOAWAY_NONE &&
	    !atomic_compare_exchange_strong(&h->h2_goaway, &expected, LC_H2_GOAWAY_WRITER))
		return lc_send_as_made(h, iov, iovcnt, false, send, ctx);

	size_t done = h->ins_sent, insert = LC_H2_GOAWAY_LEN - done;
	struct iovec e[MAX_EDITED_IOV];
	int count = lc_iov_slice(e, 0, MAX_EDITED_IOV, iov, iovcnt, 0, at);
	e[count++] = (struct iovec){.iov_base = (void *)(lc_h2_goaway + done), .iov_len = insert};
	count = lc_iov_slice(e, count, MAX_EDITED_IOV, iov, iovcnt, at, total);

	ssize_t r = send(ctx, e, count, true);
	if (r == -2) { /* not the connection it was: as made, untouched */
		atomic_store(&h->h2_goaway, goaway);
		return lc_send_as_made(h, iov, iovcnt, false, send, ctx);
	}
	if (r < 0) {
		int saved = errno;
		if (done == 0)
			atomic_store(&h->h2_goaway, LC_H2_GOAWAY_NONE);
		errno = saved;
		return r;
	}
	int saved = errno;
	size_t sent = (size_t)r;
	size_t before = sent < at ? sent : at;
	lc_send_commit(h, iov, iovcnt, before, false);
	sent -= before;
	size_t inserted = sent < insert ? sent : insert;
	sent -= inserted;
	atomic_store_explicit(&h->written_seen,
			      atomic_load_explicit(&h->written_seen, memory_order_relaxed) +
				      (uint32_t)inserted,
			      memory_order_relaxed);
	h->ins_sent = (uint8_t)(done + inserted);
	if (h->ins_sent == LC_H2_GOAWAY_LEN) {
		atomic_store(&h->h2_goaway, LC_H2_GOAWAY_SENT);
		if (sent > 0) { /* the program's bytes after it */
			struct iovec rest[MAX_PROGRAM_IOV];
			int n = lc_iov_slice(rest, 0, MAX_PROGRAM_IOV, iov, iovcnt, at, at + sent);
			lc_send_commit(h, rest, n, sent, false);
		}
	} else if (h->ins_sent == 0) {
		atomic_store(&h->h2_goaway, LC_H2_GOAWAY_NONE); /* not reached: nothing begun */
	}
	/* Else cut short: still this writer's (the drain must not start it
	 * again), the rest going first in the next write, whose first byte
	 * is at that same boundary. */
	errno = saved;
	return (ssize_t)(before + sent);
}
