/* Edited writes (see http1_send.h).
 *
 * Before the signal a write goes out as the program made it and the
 * bytes that left are fed to the tracker afterwards: nothing is planned.
 * From the signal on, the write is first planned on a copy of the
 * tracker; if the plan changes bytes, the edited bytes go out in one
 * call, and the kernel's count is mapped back: the program is told how
 * many of ITS bytes left. An inserted header the kernel took only in
 * part is finished before the program's next byte (the tracker keeps
 * how much of it left). */
#include "proto/http1_send.h"
#include "proto/h2_send.h"
#include "proto/send.h"

#include <errno.h>
#include <string.h>

#define MAX_EDITED_IOV 64
#define MAX_PROGRAM_IOV 32

static const char close_value[] = "close";
static const char spaces[] =
	"                                                                "
	"                                                                ";

/* The edited bytes, as pieces: the program's own bytes, "close" and
 * spaces over a Connection value (the program's bytes too: same length),
 * LC_H1_CLOSE_HEADER inserted (lastcall's). */
struct edited {
	struct iovec iov[MAX_EDITED_IOV];
	bool program[MAX_EDITED_IOV];
	int count;
};

static bool add_piece(struct edited *e, const void *base, size_t len, bool program)
{
	if (len == 0)
		return true;
	if (e->count == MAX_EDITED_IOV)
		return false;
	e->iov[e->count] = (struct iovec){.iov_base = (void *)base, .iov_len = len};
	e->program[e->count++] = program;
	return true;
}

/* The program's bytes [from, to) of its write. */
static bool add_program(struct edited *e, const struct iovec *iov, int iovcnt, size_t from,
			size_t to)
{
	int count = lc_iov_slice(e->iov, e->count, MAX_EDITED_IOV, iov, iovcnt, from, to);
	if (count < 0)
		return false;
	for (int i = e->count; i < count; i++)
		e->program[i] = true;
	e->count = count;
	return true;
}

/* "close" then spaces, from value position `from` on, `len` bytes. */
static bool add_close_value(struct edited *e, size_t from, size_t len)
{
	if (from < 5) {
		size_t n = 5 - from < len ? 5 - from : len;
		if (!add_piece(e, close_value + from, n, true))
			return false;
		len -= n;
	}
	while (len > 0) {
		size_t n = len < sizeof spaces - 1 ? len : sizeof spaces - 1;
		if (!add_piece(e, spaces, n, true))
			return false;
		len -= n;
	}
	return true;
}

static bool build(struct edited *e, const struct iovec *iov, int iovcnt,
		  const struct lc_h1_edits *edits, size_t total)
{
	size_t at = 0;
	e->count = 0;
	for (int i = 0; i < edits->count; i++) {
		const struct lc_h1_edit *ed = &edits->e[i];
		if (!add_program(e, iov, iovcnt, at, ed->at))
			return false;
		if (ed->insert) {
			if (!add_piece(e, &LC_H1_CLOSE_HEADER[ed->from], ed->len, false))
				return false;
			at = ed->at;
		} else {
			if (!add_close_value(e, ed->from, ed->len))
				return false;
			at = ed->at + ed->len;
		}
	}
	return add_program(e, iov, iovcnt, at, total);
}

static size_t iov_total(const struct iovec *iov, int iovcnt)
{
	size_t total = 0;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	return total;
}

/* A WebSocket lastcall said goodbye on (Close 1001, from the drain thread:
 * track/connections.c): RFC 6455 allows no data frame after a Close, so
 * what the program writes from then on is not sent — it is told it was,
 * as a peer that had closed its end would have let it believe. */
static bool swallowed_after_close(const struct lc_h1 *h)
{
	uint8_t goodbye = atomic_load_explicit(&h->h2_goaway, memory_order_relaxed);
	/* ins_sent: lastcall's own Close, not the program's */
	return goodbye == LC_H2_GOAWAY_DRAIN ||
	       (goodbye == LC_H2_GOAWAY_SENT && h->ins_sent == LC_WS_CLOSE_LEN);
}

static ssize_t give_up_editing(struct lc_h1 *h, const struct iovec *iov, int iovcnt,
			       lc_h1_send_fn send, void *ctx)
{
	atomic_store(&h->proto, LC_PROTO_LOST);
	return lc_send_as_made(h, iov, iovcnt, false, send, ctx);
}

ssize_t lc_h1_send(struct lc_h1 *h, const struct iovec *iov, int iovcnt, bool closing,
		   lc_h1_send_fn send, void *ctx)
{
	if (atomic_load_explicit(&h->proto, memory_order_relaxed) == LC_PROTO_H2)
		return lc_h2_send(h, iov, iovcnt, closing, send, ctx);
	if (atomic_load_explicit(&h->proto, memory_order_relaxed) == LC_PROTO_WS &&
	    swallowed_after_close(h))
		return (ssize_t)iov_total(iov, iovcnt);
	closing = closing && atomic_load_explicit(&h->proto, memory_order_relaxed) == LC_PROTO_HTTP1;
	if (!closing)
		return lc_send_as_made(h, iov, iovcnt, false, send, ctx);

	/* Plan on a copy: which bytes change if all of them leave. */
	struct lc_h1 plan;
	struct lc_h1_edits edits = {0};
	size_t total = 0;
	memcpy(&plan, h, sizeof plan);
	for (int i = 0; i < iovcnt; i++) {
		lc_h1_wrote(&plan, iov[i].iov_base, iov[i].iov_len, true, &edits, total);
		total += iov[i].iov_len;
	}
	if (edits.count == 0 && !edits.overflow)
		return lc_send_as_made(h, iov, iovcnt, true, send, ctx);
	struct edited e;
	if (edits.overflow || iovcnt > MAX_PROGRAM_IOV || !build(&e, iov, iovcnt, &edits, total))
		return give_up_editing(h, iov, iovcnt, send, ctx);

	ssize_t r = send(ctx, e.iov, e.count, true);
	if (r == -2)
		return give_up_editing(h, iov, iovcnt, send, ctx);
	if (r < 0)
		return r;
	int saved = errno;
	size_t left = (size_t)r, program = 0, inserted = 0;
	int cut_insert = -1; /* the piece of the header that left without what follows it */
	for (int i = 0; i < e.count && left > 0; i++) {
		size_t n = e.iov[i].iov_len < left ? e.iov[i].iov_len : left;
		if (e.program[i]) {
			program += n;
		} else {
			inserted += n;
			if (n == left)
				cut_insert = i;
		}
		left -= n;
	}
	lc_send_commit(h, iov, iovcnt, program, true);
	atomic_store_explicit(&h->written_seen,
			      atomic_load_explicit(&h->written_seen, memory_order_relaxed) +
				      (uint32_t)inserted,
			      memory_order_relaxed);
	if (cut_insert >= 0) {
		size_t from = (size_t)((const char *)e.iov[cut_insert].iov_base - LC_H1_CLOSE_HEADER);
		size_t n = (size_t)r;
		for (int i = 0; i < cut_insert; i++)
			n -= e.iov[i].iov_len;
		h->ins_sent = (uint8_t)(from + n);
	}
	errno = saved;
	return (ssize_t)program;
}
