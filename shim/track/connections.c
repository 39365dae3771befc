/* Connection checks during the drain (see connections.h). */
#include "track/connections.h"
#include "track/fdtable.h"
#include "track/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "base/addr.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/real.h"
#include "base/runtime.h"
#include "kernel/probe.h"
#include "proto/http1.h"
#include "proto/h2_send.h"
#include "judge/idle.h"
#include "kernel/fdscan.h"
#include "track/children.h"

/* What the previous scan saw per fd: the byte counters that decide ties
 * (idle.h). Drain-thread only; mmap'd, grown by whole pages. */
struct history_slot {
	uint64_t ino;
	struct lc_conn_history h;
	bool shut;
	/* The kernel's counts disagreed with the framing tracker's at the
	 * previous look (these were the kernel's): see framing_trusted. */
	bool disagreed;
	uint32_t kernel_read, kernel_written;
};
static struct history_slot *history;
static size_t history_len;

static struct history_slot *history_for(int fd, uint64_t ino)
{
	if ((size_t)fd >= history_len) {
		size_t want = ((size_t)fd + 1024) & ~(size_t)1023;
		void *mem = mmap(NULL, want * sizeof *history, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED)
			return NULL;
		if (history) {
			memcpy(mem, history, history_len * sizeof *history);
			munmap(history, history_len * sizeof *history);
		}
		history = mem;
		history_len = want;
	}
	struct history_slot *slot = &history[fd];
	if (slot->ino != ino) {
		memset(slot, 0, sizeof *slot);
		slot->ino = ino;
	}
	return slot;
}

void *lc_connection_history(int fd, uint64_t ino)
{
	return history_for(fd, ino);
}

/* The coarse clock of the accept hook, for ages. */
static int64_t coarse_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Is fd still the socket the table recorded? Drops the entry if not. */
static bool still_ours(struct lc_fdtable *t, int fd, struct lc_fd_snapshot *seen)
{
	if (!lc_fdtable_get(t, fd, seen) || seen->kind != LC_FD_CONNECTION)
		return false;
	if (lc_connection_identify(t, fd, seen))
		return true;
	lc_fdtable_drop_stale(t, fd, seen); /* closed behind our back */
	return false;
}

/* Shuts the connection down through a private duplicate whose identity is
 * checked first: the program may close fd and reuse the number at any
 * moment, and shutting down someone else's socket would be a disaster. */
/* When a shutdown is still right at the moment it is made. */
enum shut_if {
	SHUT_ANYWAY,	  /* a deadline */
	SHUT_IF_QUIET,	  /* judged idle by timing: nothing unread, nothing unsent */
	SHUT_IF_NO_UNREAD /* judged done by the protocol: bytes still queued to the
			   * client go out before the FIN (and the exit waits for
			   * them: track/leaving.c) */
};

static bool shut_down(int fd, uint64_t ino, enum shut_if when)
{
	int dup = lc_real_fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dup < 0)
		return false;
	struct stat st;
	bool ok = fstat(dup, &st) == 0 && lc_fd_same_ino(ino, st.st_ino);
	if (ok && when != SHUT_ANYWAY) {
		struct lc_conn_probe p;
		/* A request may have arrived since the scan looked. */
		ok = lc_probe_connection(dup, &p) == 0 && p.unread == 0 &&
		     (when == SHUT_IF_NO_UNREAD || p.unsent == 0);
	}
	if (ok)
		shutdown(dup, SHUT_RDWR);
	lc_real_close(dup);
	return ok;
}

/* An HTTP/2 connection closed because no stream is open gets lastcall's
 * GOAWAY first (proto/h2.h), unless the program sent one or a write of
 * the program's carried it: the client then opens its next stream
 * elsewhere instead of on a connection it sees end. Only between two of
 * the program's frames, and with no program thread inside a write (its
 * bytes and ours would share the stream); 17 bytes into a send queue the
 * scan found empty leave whole. */
static bool say_goaway(struct lc_h1 *h, int fd, uint64_t ino)
{
	/* resp_busy: inside a frame, or a program thread inside a write */
	if (!h || atomic_load(&h->proto) != LC_PROTO_H2 ||
	    atomic_load_explicit(&h->resp_busy, memory_order_acquire))
		return false;
	/* Never before the program's SETTINGS (RFC 9113 3.4): a connection
	 * it never spoke on is closed without one. No writer is inside, so
	 * the writer's byte is settled. */
	if (h->h2_write.preface)
		return false;
	/* From nothing, or the rest of one a program write began (a write
	 * cut short inside it, with nothing more from the program). */
	uint8_t expected = LC_H2_GOAWAY_NONE;
	if (!atomic_compare_exchange_strong(&h->h2_goaway, &expected, LC_H2_GOAWAY_DRAIN)) {
		expected = LC_H2_GOAWAY_WRITER;
		if (!atomic_compare_exchange_strong(&h->h2_goaway, &expected, LC_H2_GOAWAY_DRAIN))
			return false;
	}
	size_t left = LC_H2_GOAWAY_LEN - h->ins_sent;
	int dup = lc_real_fcntl(fd, F_DUPFD_CLOEXEC, 3);
	struct stat st;
	if (dup >= 0 && fstat(dup, &st) == 0 && lc_fd_same_ino(ino, st.st_ino)) {
		ssize_t sent = lc_real_send(dup, lc_h2_goaway + (LC_H2_GOAWAY_LEN - left), left,
					    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent > 0)
			atomic_fetch_add(&h->written_seen, (uint32_t)sent);
	}
	if (dup >= 0)
		lc_real_close(dup);
	atomic_store(&h->h2_goaway, LC_H2_GOAWAY_SENT);
	return true;
}

/* A WebSocket's Close 1001 ("going away"), between two of the program's
 * messages, with no program thread inside a write (as say_goaway); from
 * then on the program's writes are not sent (proto/http1_send.c). */
static bool say_ws_close(struct lc_fdtable *t, int fd, uint64_t ino, int64_t quiet_ns)
{
	struct lc_h1 *h = lc_fdtable_h1(t, fd);
	if (!h || atomic_load(&h->proto) != LC_PROTO_WS ||
	    atomic_load_explicit(&h->resp_busy, memory_order_acquire))
		return false;
	uint8_t expected = LC_H2_GOAWAY_NONE;
	if (!atomic_compare_exchange_strong(&h->h2_goaway, &expected, LC_H2_GOAWAY_DRAIN))
		return false;
	int dup = lc_real_fcntl(fd, F_DUPFD_CLOEXEC, 3);
	struct stat st;
	if (dup >= 0 && fstat(dup, &st) == 0 && lc_fd_same_ino(ino, st.st_ino)) {
		ssize_t sent = lc_real_send(dup, lc_ws_close_going_away, LC_WS_CLOSE_LEN,
					    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent > 0)
			atomic_fetch_add(&h->written_seen, (uint32_t)sent);
	}
	if (dup >= 0)
		lc_real_close(dup);
	h->ins_sent = LC_WS_CLOSE_LEN; /* lastcall's Close, not the program's */
	lc_h1_ws_note_quiet(h, quiet_ns);
	atomic_store(&h->ws_goodbye_ms, lc_h1_ms_stamp(lc_now_ns()));
	atomic_store(&h->h2_goaway, LC_H2_GOAWAY_SENT);
	return true;
}

/* A program thread inside a write of a quiet WebSocket when lastcall
 * would say goodbye (a ping, say): looked at again this soon. Leaving a
 * write signals nobody. */
#define WS_WRITER_RETRY_NS (10 * LC_NS_PER_MS)

/* After a Close (lastcall's or the program's), the client's own Close is
 * waited for this long; then the connection is closed anyway. */
#define WS_CLOSE_WAIT_NS (1000 * LC_NS_PER_MS)

/* A WebSocket between messages both ways (SPEC step 4): idle once quiet
 * both ways for the quiet time — then lastcall says goodbye first — and
 * closed once the client's Close came back. */
static void judge_websocket(struct lc_h1 *h, struct lc_conn_look *out)
{
	int64_t now = lc_now_ns();
	if (atomic_load(&h->h2_goaway) == LC_H2_GOAWAY_SENT) {
		uint32_t since = atomic_load(&h->ws_goodbye_ms);
		if (!since) { /* the program's own Close: waited for the same way */
			uint32_t unset = 0;
			since = lc_h1_ms_stamp(now);
			if (!atomic_compare_exchange_strong(&h->ws_goodbye_ms, &unset, since))
				since = unset;
		}
		int64_t waited = lc_h1_ms_since(since, now);
		if (atomic_load(&h->last_close) || waited >= WS_CLOSE_WAIT_NS) {
			/* Done by the protocol only if the program said goodbye;
			 * lastcall's Close was a guess (counted apart). */
			out->finished = h->ins_sent != LC_WS_CLOSE_LEN;
			return;
		}
		out->activity = LC_BUSY;
		out->recheck_ns = now + (WS_CLOSE_WAIT_NS - waited);
		return;
	}
	int64_t quiet;
	if (out->probe.tcp) {
		uint32_t ms = out->probe.ms_since_data_sent < out->probe.ms_since_data_recv
				      ? out->probe.ms_since_data_sent
				      : out->probe.ms_since_data_recv;
		quiet = (int64_t)ms * LC_NS_PER_MS;
	} else { /* no TCP_INFO: quiet since the stop, at least */
		int64_t stop = atomic_load(&lc_rt.stopping_ns);
		quiet = stop ? now - stop : 0;
	}
	if (quiet >= lc_rt.cfg.ws_quiet_ns) {
		out->ws_goodbye_due = true;
		out->ws_quiet_ns = quiet;
		return;
	}
	out->activity = LC_BUSY;
	out->recheck_ns = now + (lc_rt.cfg.ws_quiet_ns - quiet);
}

/* Can the framing tracker's word be taken? Its counts of the bytes the
 * program read and wrote must be the kernel's: bytes received less those
 * still unread, bytes written (each may be one more: a FIN takes a
 * sequence number). Bytes that bypass the
 * wrappers (stdio on an fdopen'ed socket writes through glibc's internal
 * __write; syscall(); io_uring) leave the tracker behind, and its
 * verdict would hold the connection until the deadline. A read or write
 * under way shows the kernel ahead for an instant, so only a disagreement
 * seen twice with the kernel's counts unchanged condemns the tracker;
 * from then on the connection is judged without the protocol. */
enum trust { TRUSTED, DOUBTED, CONDEMNED };

static enum trust framing_trusted(struct lc_h1 *h, const struct lc_conn_probe *p,
				  struct history_slot *slot)
{
	if (!p->tcp)
		return false;
	/* Acked (TCP_INFO) and queued (SIOCOUTQ) are read apart: an ACK in
	 * between counts its bytes twice, and data arriving between FIONREAD
	 * and TCP_INFO counts as read. Such a look is only doubted (below).
	 * TCP_INFO's sent - retransmitted + not sent, one snapshot, went
	 * wrong during a retransmission stall (CI: a connection judged
	 * without the protocol and cut). */
	/* Loaded before the counts: a call that ended since saw its counts
	 * committed (release/acquire), so they are in what is loaded below. */
	bool in_read = atomic_load_explicit(&h->req_busy, memory_order_acquire) & LC_H1_INSIDE;
	bool in_write = atomic_load_explicit(&h->resp_busy, memory_order_acquire) & LC_H1_INSIDE;
	uint32_t kernel_read = (uint32_t)(p->bytes_received - p->unread);
	uint32_t kernel_written = (uint32_t)(p->bytes_acked + p->unsent);
	uint32_t read = atomic_load_explicit(&h->read_seen, memory_order_relaxed);
	uint32_t written = atomic_load_explicit(&h->written_seen, memory_order_relaxed);
	bool read_agrees = kernel_read - read <= 1, written_agrees = kernel_written - written <= 1;
	bool agree = read_agrees && written_agrees;
	if (agree) {
		if (slot)
			slot->disagreed = false;
		return TRUSTED;
	}
	/* A program thread between its system call and the tracker (a
	 * thread preempted there, on a loaded machine, for as long as the
	 * kernel's counts stand still in a retransmission stall: CI cut a
	 * finished response that way) proves nothing about its direction.
	 * Only its direction: a thread blocked in a read of the next request
	 * must not shield writes that passed the wrappers by. */
	if (!slot || (!read_agrees && in_read) || (!written_agrees && in_write))
		return DOUBTED;
	if (slot->disagreed && slot->kernel_read == kernel_read &&
	    slot->kernel_written == kernel_written) {
		atomic_store(&h->proto, LC_PROTO_LOST);
		if (lc_log_enabled(LC_LOG_DEBUG)) {
			struct lc_line line;
			lc_line_start(&line);
			lc_line_str(&line, "framing: bytes passed the wrappers by: judged without "
					   "the protocol (read ");
			lc_line_uint(&line, read);
			lc_line_str(&line, ", kernel ");
			lc_line_uint(&line, kernel_read);
			lc_line_str(&line, "; written ");
			lc_line_uint(&line, written);
			lc_line_str(&line, ", kernel ");
			lc_line_uint(&line, kernel_written);
			lc_line_str(&line, ")");
			lc_line_emit(&line, LC_LOG_DEBUG);
		}
		return CONDEMNED;
	}
	slot->disagreed = true;
	slot->kernel_read = kernel_read;
	slot->kernel_written = kernel_written;
	return DOUBTED;
}

/* Queued bytes that do not leave: the client's window is full (a slow
 * reader) or the kernel is retransmitting (packets lost; on loopback,
 * the per-CPU backlog overflowed: /proc/net/softnet_stat's 2nd column). */
static void say_why_stalled(struct lc_line *line, const struct lc_conn_probe *p)
{
	if (!p->tcp || p->unsent == 0)
		return;
	if (p->peer_window_known && p->peer_window == 0) {
		lc_line_str(line, " [client's receive window is full]");
	} else if (p->backoff > 0) {
		lc_line_str(line, " [retransmitting: backoff ");
		lc_line_uint(line, p->backoff);
		lc_line_str(line, ", timer ");
		lc_line_uint(line, p->rto_ms);
		lc_line_str(line, " ms]");
	}
}

void lc_connection_look(struct lc_fdtable *t, int fd, const struct lc_fd_snapshot *seen,
			struct lc_conn_look *out, void *history_slot)
{
	struct history_slot *slot = history_slot;
	int64_t now = coarse_now();
	int64_t age = lc_fd_age_ns(seen, now);
	memset(out, 0, sizeof *out);
	out->probed = lc_probe_connection(fd, &out->probe) == 0;
	struct lc_h1 *h = lc_fdtable_h1(t, fd);
	enum lc_h1_verdict http = h && out->probed ? lc_h1_judge(h) : LC_H1_NOT_HTTP;
	enum trust trust = http != LC_H1_NOT_HTTP ? framing_trusted(h, &out->probe, slot) : TRUSTED;
	if (trust == CONDEMNED)
		http = LC_H1_NOT_HTTP;
	if (http != LC_H1_NOT_HTTP) {
		out->by_protocol = true;
		out->finished = http == LC_H1_DONE;
		lc_h1_describe(h, out->what, sizeof out->what);
		/* Its last response complete: what is still queued to the client
		 * leaves before the FIN. A request already here is answered. */
		out->activity = http == LC_H1_BUSY || out->probe.unread ? LC_BUSY : LC_IDLE;
		if (out->activity == LC_IDLE && http == LC_H1_WS_BETWEEN)
			judge_websocket(h, out);
		/* Counts that disagree once: a read or write under way (the
		 * kernel's count moves before the hook's), or the first sign of
		 * bytes missed. Not closed on the tracker's word this time. */
		if (trust == DOUBTED)
			out->activity = LC_BUSY;
		if (out->activity == LC_IDLE && http == LC_H1_BETWEEN) {
			/* Keep-alive, no response said close: the client's next
			 * request may be on its way. It is answered (with
			 * Connection: close) if it comes within the grace, counted
			 * from the stop, or from the end of the last response when
			 * that came later (one begun before the stop, ending after
			 * it: a pooled client sends again at once; seen in the pool
			 * test, 1 run in 30, with the server's body write late). */
			int64_t stop = atomic_load(&lc_rt.stopping_ns);
			int64_t now = lc_now_ns();
			int64_t grace_end = stop + LC_H1_KEEPALIVE_GRACE_NS;
			int64_t since_reply = (int64_t)out->probe.ms_since_data_sent * LC_NS_PER_MS;
			if (out->probe.tcp && since_reply < LC_H1_KEEPALIVE_GRACE_NS &&
			    now + (LC_H1_KEEPALIVE_GRACE_NS - since_reply) > grace_end)
				grace_end = now + (LC_H1_KEEPALIVE_GRACE_NS - since_reply);
			if (stop && now < grace_end) {
				out->activity = LC_BUSY;
				out->recheck_ns = grace_end;
			}
		}
		if (slot) {
			slot->h.seen = true;
			slot->h.bytes_received = out->probe.bytes_received;
			slot->h.bytes_sent = out->probe.bytes_sent;
		}
		return;
	}
	if (!out->probed) {
		out->activity = LC_BUSY;
		return;
	}
	out->activity = lc_classify(&out->probe, slot ? &slot->h : NULL, age, lc_reply_quiet_ms());
	if (slot) {
		slot->h.seen = true;
		slot->h.bytes_received = out->probe.bytes_received;
		slot->h.bytes_sent = out->probe.bytes_sent;
	}
}

void lc_connections_scan(struct lc_fdtable *t, int64_t now_ns, bool close_idle,
			 struct lc_scan *out)
{
	memset(out, 0, sizeof *out);
	int64_t now = coarse_now();
	int max = lc_fdtable_max_fd(t);
	int reading[256], readers = -1; /* read lazily: only Unix sockets need it */
	for (int fd = 0; fd <= max; fd++) {
		struct lc_fd_snapshot seen;
		if (!still_ours(t, fd, &seen))
			continue;
		out->open++;
		struct history_slot *slot = history_for(fd, seen.ino);
		if (slot && slot->shut)
			continue; /* waiting for the program to close it */
		struct lc_conn_look look;
		lc_connection_look(t, fd, &seen, &look, slot);
		if (!look.probed)
			continue;
		if (!look.by_protocol && !look.probe.tcp) {
			if (readers < 0)
				readers = lc_threads_reading(reading, 256);
			for (int i = 0; i < readers && i < 256; i++) {
				struct lc_fd_snapshot other;
				if (reading[i] == fd)
					look.probe.reader_waiting = true;
				else if (lc_fdtable_get(t, reading[i], &other) &&
					 other.kind == LC_FD_CONNECTION)
					look.probe.readers_elsewhere = true;
			}
			look.activity = lc_classify(&look.probe, slot ? &slot->h : NULL,
						    lc_fd_age_ns(&seen, now), lc_reply_quiet_ms());
		}
		int64_t age = lc_fd_age_ns(&seen, now);
		enum lc_activity activity = look.activity;
		if (activity == LC_IDLE && lc_children_hold(seen.ino))
			activity = LC_BUSY;
		if (look.recheck_ns && (!out->next_change_ns || look.recheck_ns < out->next_change_ns))
			out->next_change_ns = look.recheck_ns;
		if (activity == LC_BUSY) {
			out->busy++;
			if (!look.by_protocol && (!look.probe.tcp || look.probe.bytes_received == 0) &&
			    age < LC_FIRST_REQUEST_GRACE_NS) {
				int64_t ends = now_ns + (LC_FIRST_REQUEST_GRACE_NS - age);
				if (!out->next_change_ns || ends < out->next_change_ns)
					out->next_change_ns = ends;
			}
			continue;
		}
		/* Read before the shutdown: the program may close the fd at once
		 * and its number go to another client. */
		char peer[LC_ADDR_TEXT];
		if (close_idle && lc_log_enabled(LC_LOG_DEBUG))
			lc_peer_text(fd, peer);
		if (close_idle && look.ws_goodbye_due) {
			/* Close 1001 now; the connection closes when the
			 * client's Close comes back (or the wait ends). */
			out->busy++;
			bool said = say_ws_close(t, fd, seen.ino, look.ws_quiet_ns);
			out->closed_after_quiet += said;
			int64_t again = lc_now_ns() + (said ? WS_CLOSE_WAIT_NS : WS_WRITER_RETRY_NS);
			if (!out->next_change_ns || again < out->next_change_ns)
				out->next_change_ns = again;
			struct lc_h1 *ws = lc_fdtable_h1(t, fd);
			if (said && ws && lc_log_enabled(LC_LOG_DEBUG)) {
				struct lc_line line;
				lc_line_start(&line);
				lc_line_str(&line, "going away: Close 1001 to fd ");
				lc_line_int(&line, fd);
				lc_line_str(&line, " from ");
				lc_line_str(&line, peer);
				lc_h1_describe(ws, look.what, sizeof look.what);
				lc_line_str(&line, " (");
				lc_line_str(&line, look.what);
				lc_line_str(&line, ")");
				lc_line_emit(&line, LC_LOG_DEBUG);
			}
			continue;
		}
		/* Looked up once: the program may close the fd meanwhile, and
		 * the table then has no framing for it (the memory stays). */
		struct lc_h1 *framing = lc_fdtable_h1(t, fd);
		if (close_idle && look.by_protocol && say_goaway(framing, fd, seen.ino))
			lc_h1_describe(framing, look.what, sizeof look.what);
		if (close_idle &&
		    shut_down(fd, seen.ino, look.by_protocol ? SHUT_IF_NO_UNREAD : SHUT_IF_QUIET)) {
			if (slot)
				slot->shut = true;
			out->closed_idle++;
			if (look.finished)
				out->closed_by_protocol++;
			if (lc_log_enabled(LC_LOG_DEBUG)) {
				struct lc_line line;
				lc_line_start(&line);
				lc_line_str(&line, look.finished ? "closed finished connection fd "
								 : "closed idle connection fd ");
				lc_line_int(&line, fd);
				lc_line_str(&line, " from ");
				lc_line_str(&line, peer);
				if (look.what[0]) {
					lc_line_str(&line, " (");
					lc_line_str(&line, look.what);
					lc_line_str(&line, ")");
				}
				lc_line_emit(&line, LC_LOG_DEBUG);
			}
		} else {
			out->busy++;
		}
	}
}

long lc_connections_cut(struct lc_fdtable *t, bool cut, bool from_watchdog,
			struct lc_conn_view *seen_out, int max)
{
	long count = 0;
	int64_t now = coarse_now();
	int max_fd = lc_fdtable_max_fd(t);
	for (int fd = 0; fd <= max_fd; fd++) {
		struct lc_fd_snapshot seen;
		if (!still_ours(t, fd, &seen))
			continue;
		struct lc_line line;
		struct lc_conn_look look;
		struct history_slot *slot = from_watchdog ? NULL : history_for(fd, seen.ino);
		lc_connection_look(t, fd, &seen, &look, slot);
		struct lc_conn_view v = {.fd = fd, .age_ns = lc_fd_age_ns(&seen, now),
					 .busy = look.activity == LC_BUSY, .unread = look.probe.unread,
					 .unsent = look.probe.unsent, .local_port = lc_local_port(fd)};
		memcpy(v.what, look.what, sizeof v.what);
		lc_peer_text(fd, v.peer);
		lc_local_text(fd, v.local);
		if (count < max)
			seen_out[count] = v;
		count++;
		lc_line_start(&line);
		lc_line_str(&line, cut ? "cut: " : "open: ");
		lc_line_str(&line, v.peer);
		lc_line_str(&line, " -> port ");
		lc_line_uint(&line, v.local_port);
		lc_line_str(&line, " fd ");
		lc_line_int(&line, fd);
		lc_line_str(&line, v.busy ? " busy" : " idle");
		lc_line_str(&line, " age ");
		lc_line_duration(&line, v.age_ns);
		lc_line_str(&line, " unread ");
		lc_line_uint(&line, v.unread);
		lc_line_str(&line, " unsent ");
		lc_line_uint(&line, v.unsent);
		if (v.what[0]) {
			lc_line_str(&line, " (");
			lc_line_str(&line, v.what);
			lc_line_str(&line, ")");
		}
		say_why_stalled(&line, &look.probe);
		lc_line_emit(&line, LC_LOG_WARN);
		if (cut) {
			say_ws_close(t, fd, seen.ino, 0); /* a WebSocket hears Close 1001, not a bare FIN */
			shut_down(fd, seen.ino, SHUT_ANYWAY);
		}
	}
	return count;
}
