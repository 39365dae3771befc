/* The GOAWAY between the program's frames (see h2_send.h). */
#include "proto/h2_send.h"

#include <errno.h>
#include <string.h>

#define MAX_PROGRAM_IOV 32
#define MAX_EDITED_IOV (MAX_PROGRAM_IOV + 2)

void lc_h2_commit(struct lc_h1 *h, const struct iovec *iov, int iovcnt, size_t sent)
{
	for (int i = 0; i < iovcnt && sent > 0; i++) {
		size_t n = iov[i].iov_len < sent ? iov[i].iov_len : sent;
		lc_h1_wrote(h, iov[i].iov_base, n, false, NULL, 0);
		sent -= n;
	}
}

static ssize_t send_as_made(struct lc_h1 *h, const struct iovec *iov, int iovcnt,
			    lc_h1_send_fn send, void *ctx)
{
	ssize_t r = send(ctx, iov, iovcnt, false);
	if (r > 0) {
		int saved = errno;
		lc_h2_commit(h, iov, iovcnt, (size_t)r);
		errno = saved;
	}
	return r;
}

/* Where the program's first frame boundary falls in its write, counted
 * in its bytes; total + 1 if none does. */
static size_t first_boundary(const struct lc_h1 *h, const struct iovec *iov, int iovcnt,
			     size_t total)
{
	struct lc_h2_side side = h->h2_write;
	if (lc_h2_at_boundary(&side))
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

/* The program's bytes [from, to) as pieces. */
static int add_program(struct iovec *out, int count, const struct iovec *iov, int iovcnt,
		       size_t from, size_t to)
{
	size_t at = 0;
	for (int i = 0; i < iovcnt && from < to; i++) {
		size_t len = iov[i].iov_len;
		if (from < at + len) {
			size_t start = from - at, end = to - at < len ? to - at : len;
			if (end > start)
				out[count++] = (struct iovec){
					.iov_base = (char *)iov[i].iov_base + start,
					.iov_len = end - start};
			from = at + end;
		}
		at += len;
	}
	return count;
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
		return send_as_made(h, iov, iovcnt, send, ctx);
	size_t total = 0;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	size_t at = first_boundary(h, iov, iovcnt, total);
	if (at > total || goaway_before(h, iov, iovcnt, at))
		/* No boundary yet: the GOAWAY waits for a later write. Or the
		 * program says goodbye itself first: a last-stream-id sent may
		 * never grow again, so lastcall adds none. */
		return send_as_made(h, iov, iovcnt, send, ctx);
	/* The drain thread sends it on an idle connection: one of us only. */
	uint8_t expected = LC_H2_GOAWAY_NONE;
	if (goaway == LC_H2_GOAWAY_NONE &&
	    !atomic_compare_exchange_strong(&h->h2_goaway, &expected, LC_H2_GOAWAY_WRITER))
		return send_as_made(h, iov, iovcnt, send, ctx);

	size_t done = h->ins_sent, insert = LC_H2_GOAWAY_LEN - done;
	struct iovec e[MAX_EDITED_IOV];
	int count = add_program(e, 0, iov, iovcnt, 0, at);
	e[count++] = (struct iovec){.iov_base = (void *)(lc_h2_goaway + done), .iov_len = insert};
	count = add_program(e, count, iov, iovcnt, at, total);

	ssize_t r = send(ctx, e, count, true);
	if (r == -2) { /* not the connection it was: as made, untouched */
		atomic_store(&h->h2_goaway, goaway);
		return send_as_made(h, iov, iovcnt, send, ctx);
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
	lc_h2_commit(h, iov, iovcnt, before);
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
			int n = add_program(rest, 0, iov, iovcnt, at, at + sent);
			lc_h2_commit(h, rest, n, sent);
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
