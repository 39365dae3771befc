/* Reads and writes on tracked connections (see iohooks.h).
 *
 * Reads: the bytes the program got are fed to the framing tracker.
 * Writes: before the signal, the call goes out as the program made it and
 * the bytes that left are fed afterwards. From the signal on (after
 * --delay), a write that may carry a response head is first planned on a
 * copy of the tracker; if the plan changes bytes (Connection: close), the
 * edited bytes go out in one sendmsg, and the program is told how many of
 * ITS bytes left: lastcall's own bytes are never counted, and a header
 * cut short by a partial write is finished before the program's next
 * byte. */
#include "hook/iohooks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "base/runtime.h"
#include "proto/http1.h"

#define MAX_EDITED_IOV 64
#define MAX_PROGRAM_IOV 32

static const char close_value[] = "close";
static const char spaces[] =
	"                                                                "
	"                                                                ";

/* --- reads --- */

static void saw_read(int fd, const struct iovec *iov, int iovcnt, ssize_t got)
{
	struct lc_h1 *h = lc_fdtable_h1(&lc_table, fd);
	if (!h || got <= 0)
		return;
	size_t left = (size_t)got;
	for (int i = 0; i < iovcnt && left > 0; i++) {
		size_t n = iov[i].iov_len < left ? iov[i].iov_len : left;
		lc_h1_read(h, iov[i].iov_base, n);
		left -= n;
	}
}

ssize_t lc_conn_read(int fd, void *buf, size_t n, size_t size)
{
	ssize_t r = size == (size_t)-1 ? lc_real_read(fd, buf, n) : lc_real___read_chk(fd, buf, n, size);
	if (r > 0) {
		struct iovec v = {.iov_base = buf, .iov_len = (size_t)r};
		saw_read(fd, &v, 1, r);
	}
	return r;
}

ssize_t lc_conn_readv(int fd, const struct iovec *iov, int n)
{
	ssize_t r = lc_real_readv(fd, iov, n);
	saw_read(fd, iov, n, r);
	return r;
}

/* MSG_PEEK leaves the bytes to be read again; MSG_TRUNC (TCP) discards
 * them without filling the buffer. */
static void saw_received(int fd, const struct iovec *iov, int iovcnt, ssize_t got, int flags)
{
	if (got <= 0 || (flags & MSG_PEEK))
		return;
	if (flags & MSG_TRUNC) {
		struct lc_h1 *h = lc_fdtable_h1(&lc_table, fd);
		if (h)
			lc_h1_read_unseen(h, (uint64_t)got);
		return;
	}
	saw_read(fd, iov, iovcnt, got);
}

ssize_t lc_conn_recvfrom(int fd, void *buf, size_t n, size_t size, int flags,
			 struct sockaddr *from, socklen_t *len)
{
	ssize_t r = size == (size_t)-1 ? lc_real_recvfrom(fd, buf, n, flags, from, len)
				       : lc_real___recvfrom_chk(fd, buf, n, size, flags, from, len);
	struct iovec v = {.iov_base = buf, .iov_len = r > 0 ? (size_t)r : 0};
	saw_received(fd, &v, 1, r, flags);
	return r;
}

ssize_t lc_conn_recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t r = lc_real_recvmsg(fd, msg, flags);
	if (r > 0)
		saw_received(fd, msg->msg_iov, (int)msg->msg_iovlen, r, flags);
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

static ssize_t call_as_made(const struct out_call *c)
{
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

static void commit(struct lc_h1 *h, const struct iovec *iov, int iovcnt, size_t sent, bool closing)
{
	for (int i = 0; i < iovcnt && sent > 0; i++) {
		size_t n = iov[i].iov_len < sent ? iov[i].iov_len : sent;
		lc_h1_wrote(h, iov[i].iov_base, n, iov[i].iov_len, closing, NULL, 0);
		sent -= n;
	}
}

/* The edited bytes, as pieces: the program's own bytes, "close" and
 * spaces over a Connection value, LC_H1_CLOSE_HEADER inserted. */
struct edited {
	struct iovec iov[MAX_EDITED_IOV];
	bool program[MAX_EDITED_IOV]; /* the piece counts as the program's bytes */
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

/* The program's bytes [from, to) of its write, as pieces. */
static bool add_program(struct edited *e, const struct out_call *c, size_t from, size_t to)
{
	size_t at = 0;
	for (int i = 0; i < c->iovcnt && from < to; i++) {
		size_t len = c->iov[i].iov_len;
		if (from < at + len) {
			size_t start = from - at;
			size_t end = to - at < len ? to - at : len;
			if (!add_piece(e, (const char *)c->iov[i].iov_base + start, end - start, true))
				return false;
			from = at + end;
		}
		at += len;
	}
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

static bool build(struct edited *e, const struct out_call *c, const struct lc_h1_edits *edits,
		  size_t total)
{
	size_t at = 0;
	e->count = 0;
	for (int i = 0; i < edits->count; i++) {
		const struct lc_h1_edit *ed = &edits->e[i];
		if (!add_program(e, c, at, ed->at))
			return false;
		if (ed->insert) {
			if (!add_piece(e, LC_H1_CLOSE_HEADER + ed->from, ed->len, false))
				return false;
			at = ed->at;
		} else {
			if (!add_close_value(e, ed->from, ed->len))
				return false;
			at = ed->at + ed->len;
		}
	}
	return add_program(e, c, at, total);
}

/* The socket behind fd is still the one the table recorded: lastcall
 * changes the bytes of that connection only, never of a descriptor
 * reused behind a close it did not see. */
static bool still_the_connection(int fd)
{
	struct lc_fd_snapshot seen;
	struct stat st;
	return lc_fdtable_get(&lc_table, fd, &seen) && seen.kind == LC_FD_CONNECTION &&
	       fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) && (uint64_t)st.st_ino == seen.ino;
}

static bool nonblocking(const struct out_call *c)
{
	if (c->flags & MSG_DONTWAIT)
		return true;
	int fl = lc_real_fcntl(c->fd, F_GETFL, 0);
	return fl >= 0 && (fl & O_NONBLOCK);
}

/* Sends the planned edit of a write. Returns the program's bytes that
 * left (>= 1), or -1 with errno; 0 only for an empty write. */
static ssize_t send_edited(const struct out_call *c, struct lc_h1 *h,
			   const struct lc_h1_edits *edits, size_t total)
{
	struct edited e;
	if (!build(&e, c, edits, total)) {
		atomic_store(&h->proto, LC_PROTO_LOST); /* too many pieces: as it was */
		return call_as_made(c);
	}
	struct msghdr m = {.msg_iov = e.iov, .msg_iovlen = (size_t)e.count};
	if (c->msg) {
		m.msg_name = c->msg->msg_name;
		m.msg_namelen = c->msg->msg_namelen;
		m.msg_control = c->msg->msg_control;
		m.msg_controllen = c->msg->msg_controllen;
	}
	ssize_t r = lc_real_sendmsg(c->fd, &m, c->flags);
	if (r < 0)
		return r;
	size_t left = (size_t)r, program = 0, inserted = 0, insert_from = 0;
	bool insert_cut = false;
	for (int i = 0; i < e.count && left > 0; i++) {
		size_t n = e.iov[i].iov_len < left ? e.iov[i].iov_len : left;
		if (e.program[i]) {
			program += n;
		} else {
			inserted += n;
			insert_from = (size_t)((const char *)e.iov[i].iov_base - LC_H1_CLOSE_HEADER);
			insert_cut = n < e.iov[i].iov_len || i + 1 == e.count || n == left;
		}
		left -= n;
	}
	int saved = errno;
	bool closing = true;
	commit(h, c->iov, c->iovcnt, program, closing);
	atomic_store_explicit(&h->written_seen,
			      atomic_load_explicit(&h->written_seen, memory_order_relaxed) +
				      (uint32_t)inserted,
			      memory_order_relaxed);
	/* The inserted header went out in part, or whole but without the
	 * program's next byte: the rest of it comes first next time. */
	if (insert_cut)
		h->ins_sent = (uint8_t)(insert_from + inserted);
	errno = saved;
	return (ssize_t)program;
}

static ssize_t write_tracked(const struct out_call *c)
{
	struct lc_h1 *h = lc_fdtable_h1(&lc_table, c->fd);
	if (!h)
		return call_as_made(c);
	bool closing = lc_phase() >= LC_PHASE_STOPPING &&
		       atomic_load_explicit(&h->proto, memory_order_relaxed) == LC_PROTO_HTTP1;
	if (!closing) {
		ssize_t r = call_as_made(c);
		if (r > 0) {
			int saved = errno;
			commit(h, c->iov, c->iovcnt, (size_t)r, false);
			errno = saved;
		}
		return r;
	}
	uint16_t answered = atomic_load_explicit(&h->responses, memory_order_relaxed);
	for (int tries = 0; tries < LC_H1_CLOSE_HEADER_LEN + 2; tries++) {
		/* Plan on a copy: which bytes change if all of them leave. */
		struct lc_h1 plan;
		struct lc_h1_edits edits = {0};
		size_t total = 0;
		memcpy(&plan, h, sizeof plan);
		for (int i = 0; i < c->iovcnt; i++) {
			lc_h1_wrote(&plan, c->iov[i].iov_base, c->iov[i].iov_len, c->iov[i].iov_len,
				    true, &edits, total);
			total += c->iov[i].iov_len;
		}
		ssize_t r;
		if (edits.count == 0 && !edits.overflow) {
			r = call_as_made(c);
			if (r > 0) {
				int saved = errno;
				commit(h, c->iov, c->iovcnt, (size_t)r, true);
				errno = saved;
			}
		} else if (edits.overflow || c->iovcnt > MAX_PROGRAM_IOV ||
			   !still_the_connection(c->fd)) {
			atomic_store(&h->proto, LC_PROTO_LOST);
			return call_as_made(c);
		} else {
			r = send_edited(c, h, &edits, total);
			if (r == 0 && total > 0) {
				/* Only lastcall's bytes left. A nonblocking program is told
				 * to wait; a blocking one would have waited: send again. */
				if (nonblocking(c)) {
					errno = EAGAIN;
					return -1;
				}
				continue;
			}
		}
		/* A response ended during the shutdown: the drain may close it. */
		if (r > 0 && atomic_load_explicit(&h->responses, memory_order_relaxed) != answered) {
			int saved = errno;
			lc_wake(LC_EV_CLOSED);
			errno = saved;
		}
		return r;
	}
	errno = EAGAIN;
	return -1;
}

ssize_t lc_conn_write(int fd, const void *buf, size_t n)
{
	struct iovec v = {.iov_base = (void *)buf, .iov_len = n};
	struct out_call c = {.fd = fd, .iov = &v, .iovcnt = 1, .kind = CALL_WRITE};
	return write_tracked(&c);
}

ssize_t lc_conn_writev(int fd, const struct iovec *iov, int n)
{
	struct out_call c = {.fd = fd, .iov = iov, .iovcnt = n, .kind = CALL_WRITEV};
	return write_tracked(&c);
}

ssize_t lc_conn_sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *to,
		       socklen_t len)
{
	struct iovec v = {.iov_base = (void *)buf, .iov_len = n};
	struct msghdr m = {.msg_name = (void *)to, .msg_namelen = len};
	struct out_call c = {.fd = fd, .iov = &v, .iovcnt = 1, .flags = flags, .msg = &m,
			     .kind = CALL_SENDTO};
	return write_tracked(&c);
}

ssize_t lc_conn_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	struct out_call c = {.fd = fd, .iov = msg->msg_iov, .iovcnt = (int)msg->msg_iovlen,
			     .flags = flags, .msg = msg, .kind = CALL_SENDMSG};
	return write_tracked(&c);
}

/* --- bytes the program moves without a buffer lastcall could read --- */

ssize_t lc_io_sendfile(int out, int in, off_t *offset, size_t n)
{
	ssize_t r = lc_real_sendfile(out, in, offset, n);
	if (r > 0 && lc_io_tracked(out)) {
		struct lc_h1 *h = lc_fdtable_h1(&lc_table, out);
		if (h)
			lc_h1_wrote_unseen(h, (uint64_t)r);
	}
	return r;
}

ssize_t lc_io_splice(int in, loff_t *in_off, int out, loff_t *out_off, size_t n, unsigned flags)
{
	ssize_t r = lc_real_splice(in, in_off, out, out_off, n, flags);
	if (r > 0) {
		struct lc_h1 *h;
		if (lc_io_tracked(out) && (h = lc_fdtable_h1(&lc_table, out)))
			lc_h1_wrote_unseen(h, (uint64_t)r);
		if (lc_io_tracked(in) && (h = lc_fdtable_h1(&lc_table, in)))
			lc_h1_read_unseen(h, (uint64_t)r);
	}
	return r;
}
