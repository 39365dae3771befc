/* Layer proto/: what a connection's protocol says, from the bytes the
 * program reads and writes. Pure: no system calls, no globals; the hooks
 * feed it (hook/iohooks.c), the drain asks it (track/connections.c).
 * HTTP/1.x here, HTTP/2 beside it (proto/h2.h: a connection whose
 * client sends the HTTP/2 preface switches to it); WebSocket is to sit
 * beside them. May call: nothing of lastcall's.
 *
 * HTTP/1.x framing, both ways. Requests from what the program reads:
 * recognition (a request line "METHOD target HTTP/1.x"), where each
 * request ends (Content-Length, chunked with trailers), which were HEAD.
 * Responses from what it writes: status line, headers (split across
 * writes at any byte), Content-Length, chunked with its terminal chunk and
 * trailers, close-delimited bodies, no body for HEAD, 1xx, 204 and 304.
 * Bodies cost O(1) per write; only heads are looked at byte by byte.
 *
 * The state is a few dozen bytes in the descriptor table's entry: no
 * allocation, no lock. The reading side and the writing side each have
 * their own fields (one thread reads a connection while another writes);
 * what the other side or the drain thread reads is atomic. */
#ifndef LASTCALL_HTTP1_H
#define LASTCALL_HTTP1_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/h2.h"
#include "proto/len40.h"
#include "proto/ws.h"

enum lc_proto {
	/* Not a connection lastcall tracks: the value of a descriptor
	 * table's fresh (zero) memory, and what a close leaves
	 * (track/fdtable.h). The hooks of reads and writes look at this
	 * byte alone to decide. */
	LC_PROTO_NONE = 0,
	LC_PROTO_UNKNOWN,     /* nothing read yet, or the request line is incomplete */
	LC_PROTO_HTTP1,	      /* requests and responses followed */
	LC_PROTO_OTHER,	      /* not HTTP/1.x in the clear (TLS, HTTP/2, Redis, after 101) */
	LC_PROTO_LOST,	      /* HTTP/1.x the tracker could not follow (bytes it did not
			       * see, malformed framing): judged as if OTHER */
	LC_PROTO_H2,	      /* HTTP/2 in the clear: frames and streams followed */
	LC_PROTO_WS,	      /* WebSocket after a 101: frames followed */
};

/* A keep-alive connection idle between two requests when the listeners
 * stop is kept this long (from the stop, or from the end of its last
 * response if later): a pooled client's next request, already on its
 * way, is answered (with Connection: close) instead of meeting a closed
 * connection. Measured in tests/e2e/test_http_keepalive.py: pooled
 * clients on loopback send their next request within a millisecond of
 * the previous response; the grace also covers a round trip of a few
 * tens of ms and a client thread preempted for a scheduler slice, and
 * costs an idle pool a quarter of a second at exit. */
#define LC_H1_KEEPALIVE_GRACE_NS (250LL * 1000000LL)

/* The header appended from the signal on when a response has no
 * Connection header of its own (see lc_h1_wrote). */
#define LC_H1_CLOSE_HEADER "Connection: close\r\n"
#define LC_H1_CLOSE_HEADER_LEN 19

/* The state "inside a body of known length" (enum state in http1.c), for
 * the inline fast path of lc_h1_wrote. */
#define LC_H1_STATE_BODY 24

/* Body and chunk lengths are followed to 40 bits: a Content-Length or a
 * chunk of 1 TiB or more is not followed (LC_PROTO_LOST: judged from the
 * kernel's view). 40 bits rather than 64 keep a side to 12 bytes, and the
 * whole state to 48 (below). */
#define LC_H1_LEFT_MAX LC_LEN40_MAX

/* 12 bytes. */
struct lc_h1_side {
	/* Body or chunk bytes still to come; Content-Length while in
	 * headers; the status code while in a status line. Low word, high
	 * byte (lc_h1_left). */
	uint32_t left_low;
	uint8_t left_high;
	uint8_t state;
	uint8_t header;	 /* which header's value is being read (enum in http1.c) */
	uint8_t pos;	 /* position in a name, a token or a line */
	uint8_t token;	 /* which token a Connection value is matching */
	uint8_t vpos;	 /* position in the current value (saturating), for the rewrite */
	uint16_t flags;	 /* of the message being read, its version and status among them */
};

static inline uint64_t lc_h1_left(const struct lc_h1_side *s)
{
	return lc_len40(s->left_low, s->left_high);
}

static inline void lc_h1_set_left(struct lc_h1_side *s, uint64_t n)
{
	lc_len40_set(&s->left_low, &s->left_high, n);
}

/* A side's busy byte (req_busy, resp_busy): what it is in, as bits. */
enum {
	LC_H1_PARTLY = 1, /* a request head or body (a frame) is partly read, or a
			   * response (a frame) partly written */
	/* A program thread is inside a read (a write) of this connection:
	 * the kernel may already count bytes the counts below do not yet
	 * (set before the system call, cleared after the tracker saw its
	 * bytes). A disagreement seen then proves nothing. In the busy byte
	 * because the same thread owns both. */
	LC_H1_INSIDE = 2,
};

/* 48 bytes: with the descriptor table's 16-byte entry, one 64-byte line
 * a descriptor (track/fdtable.h; doc/performance.md: RSS at 10,000
 * connections). */
struct lc_h1 {
	union {
		struct lc_h1_side req;	   /* what the program read */
		struct lc_h2_side h2_read; /* the same, on an HTTP/2 connection */
		struct lc_ws_side ws_read; /* on a WebSocket */
	};
	union {
		struct lc_h1_side resp;	    /* what it wrote */
		struct lc_h2_side h2_write; /* the same, on an HTTP/2 connection */
		struct lc_ws_side ws_write; /* on a WebSocket */
	};
	_Atomic uint8_t proto;
	_Atomic uint8_t req_busy;  /* LC_H1_PARTLY, LC_H1_INSIDE of the reading side */
	_Atomic uint8_t resp_busy; /* the same of the writing side */
	_Atomic uint8_t last_close; /* the last complete response said Connection: close */
	uint8_t ins_sent;	    /* bytes of LC_H1_CLOSE_HEADER (HTTP/2: of the GOAWAY)
				     * already sent */
	_Atomic uint8_t shape;	    /* of the response being written, for the drain's
				     * words (enum shape in http1.c) */
	/* HTTP/2: the GOAWAY lastcall sends from the signal on; WebSocket:
	 * its Close 1001 (LC_H2_GOAWAY_*: none, a writer's, the drain's, sent;
	 * also "sent" once the program said goodbye itself). */
	_Atomic uint8_t h2_goaway;
	/* The program wrote first, and not "HTTP/": an HTTP/2 server's
	 * SETTINGS before the client's preface is read. Its frames are
	 * followed from the start, in case the preface comes (2: they were
	 * not frames). */
	uint8_t h2_early;
	union {
		struct {
			_Atomic uint16_t requests;  /* request heads read (wraps) */
			_Atomic uint16_t responses; /* final responses complete (wraps) */
			_Atomic uint16_t head_mask; /* bit n % 16: request n was HEAD */
			_Atomic uint16_t chunks;    /* of the response being written
						     * (saturating) */
		};
		/* HTTP/2: its open streams (a change wakes the drain as a
		 * response's end does: lc_h1_progress). */
		struct lc_h2_streams h2_open;
		/* WebSocket: when the drain saw the goodbye sent (0: not
		 * yet; lc_h1_ms_stamp), for the wait for the client's
		 * Close; and, closed by lastcall after its quiet time, that
		 * time in tenths of a second (lc_h1_ws_note_quiet). */
		struct {
			_Atomic uint32_t ws_goodbye_ms;
			_Atomic uint16_t ws_quiet_tenths;
		};
	};
	/* Low 32 bits of the bytes the program read and the bytes that left
	 * through its writes (lastcall's insertions included): checked against
	 * the kernel's own counts to find what the wrappers missed. */
	_Atomic uint32_t read_seen;
	_Atomic uint32_t written_seen;
};

/* CLOCK_MONOTONIC `ns` in milliseconds, modulo 2^32, never 0: a time
 * that fits a 4-byte field, compared by its difference (lc_h1_ms_since)
 * for spans under 49 days. */
static inline uint32_t lc_h1_ms_stamp(int64_t ns)
{
	uint32_t ms = (uint32_t)(ns / 1000000);
	return ms ? ms : 1;
}

static inline int64_t lc_h1_ms_since(uint32_t stamp, int64_t now_ns)
{
	return (int64_t)(uint32_t)(lc_h1_ms_stamp(now_ns) - stamp) * 1000000;
}

enum { LC_H2_GOAWAY_NONE, LC_H2_GOAWAY_WRITER, LC_H2_GOAWAY_DRAIN, LC_H2_GOAWAY_SENT };

_Static_assert(sizeof(struct lc_h1) == 48, "the framing state is 48 bytes (track/fdtable.h)");
_Static_assert(sizeof(struct lc_ws_side) == sizeof(struct lc_h1_side) &&
		       __builtin_offsetof(struct lc_ws_side, pos) ==
			       __builtin_offsetof(struct lc_h1_side, state),
	       "a WebSocket side overlays an HTTP/1.x side; its pos (0-14) is the state byte");
_Static_assert(sizeof(struct lc_h2_side) == sizeof(struct lc_h1_side),
	       "an HTTP/2 side overlays an HTTP/1.x side");
_Static_assert(__builtin_offsetof(struct lc_h2_side, pos) ==
		       __builtin_offsetof(struct lc_h1_side, state),
	       "the fast path's state byte is an HTTP/2 side's pos (0-8), never in a body");

/* One change lastcall makes to the program's bytes while it writes a
 * response head after the signal. Offsets count the program's bytes of
 * the write being planned. */
struct lc_h1_edit {
	uint32_t at;	/* REPLACE: first program byte replaced; INSERT: inserted before it */
	uint32_t len;	/* bytes replaced, or inserted */
	uint8_t insert; /* 1: insert LC_H1_CLOSE_HEADER from offset `from` */
	uint8_t from;	/* REPLACE: value position of the first byte ("close" then spaces) */
};
#define LC_H1_MAX_EDITS 8
struct lc_h1_edits {
	int count;
	bool overflow; /* more edits than fit: the write goes out unchanged */
	struct lc_h1_edit e[LC_H1_MAX_EDITS];
};

/* A program thread enters a read (`busy`: req_busy) or a write
 * (resp_busy) of the connection, and leaves it (LC_H1_INSIDE). Plain
 * loads and stores: the byte is its side's thread's. */
static inline void lc_h1_enter(_Atomic uint8_t *busy)
{
	uint8_t was = atomic_load_explicit(busy, memory_order_relaxed);
	atomic_store_explicit(busy, was | LC_H1_INSIDE, memory_order_relaxed);
}

static inline void lc_h1_leave(_Atomic uint8_t *busy)
{
	/* Release: a look that sees LC_H1_INSIDE clear sees the counts it
	 * was set for. */
	uint8_t was = atomic_load_explicit(busy, memory_order_relaxed);
	atomic_store_explicit(busy, was & ~LC_H1_INSIDE, memory_order_release);
}

/* A new connection: everything zero, the protocol LC_PROTO_UNKNOWN,
 * stored last (release), so that a thread that sees it tracked sees the
 * rest reset. */
void lc_h1_reset(struct lc_h1 *h);

/* The descriptor is no longer a connection lastcall tracks. */
static inline void lc_h1_untrack(struct lc_h1 *h)
{
	atomic_store_explicit(&h->proto, LC_PROTO_NONE, memory_order_release);
}

/* Would the byte machine take [p, end) for a request target (no byte at or
 * below ' ', none DEL)? The whole-head path's check, eight bytes at a time;
 * here for its unit test (tests/unit/proto/test_http1_target.c). */
bool lc_h1_target_ok(const char *p, const char *end);

/* The program read `n` bytes at `p`. */
void lc_h1_read(struct lc_h1 *h, const char *p, size_t n);
/* The program read bytes lastcall could not see (splice): followed only
 * inside a body of known length, else the connection is LOST. */
void lc_h1_read_unseen(struct lc_h1 *h, uint64_t n);

/* The program's `n` bytes at `p` left through its write. `closing`: from
 * the signal on (after --delay),
 * each response that starts gets Connection: close (an existing
 * Connection header's value is overwritten with "close" padded with
 * spaces, to the same length (a value shorter than that, "TE", keeps its
 * first letters of "close" and gets LC_H1_CLOSE_HEADER too); otherwise
 * LC_H1_CLOSE_HEADER is inserted
 * before the blank line of an HTTP/1.1 head), unless the program says
 * close itself, the status is 1xx, or more requests are waiting behind
 * it (pipelining). With `edits`, the changes are recorded there, their
 * offsets counted from `base`: run it on a copy to plan a write, then on
 * the real state with the bytes that left. */
void lc_h1_wrote_more(struct lc_h1 *h, const char *p, size_t n, bool closing,
		      struct lc_h1_edits *edits, size_t base, uint32_t before);
static inline void lc_h1_wrote(struct lc_h1 *h, const char *p, size_t n, bool closing,
			       struct lc_h1_edits *edits, size_t base)
{
	uint32_t before = atomic_load_explicit(&h->written_seen, memory_order_relaxed);
	if (!edits) {
		atomic_store_explicit(&h->written_seen, before + (uint32_t)n,
				      memory_order_relaxed);
		/* The common write, inline in the wrappers: more of a body of
		 * known length. */
		uint64_t left = lc_h1_left(&h->resp);
		if (h->resp.state == LC_H1_STATE_BODY && n < left) {
			lc_h1_set_left(&h->resp, left - n);
			return;
		}
	}
	lc_h1_wrote_more(h, p, n, closing, edits, base, before);
}
/* What the drain waits for on a connection, as a token taken before a
 * write and compared after it: responses complete (HTTP/1.x), streams
 * open (HTTP/2; its open-stream bitmap shares the memory of the response
 * count, so that count alone says nothing there). */
static inline uint32_t lc_h1_progress(const struct lc_h1 *h)
{
	if (atomic_load_explicit(&h->proto, memory_order_relaxed) == LC_PROTO_H2)
		return 0x10000u | (uint32_t)lc_h2_open_streams(&h->h2_open);
	return atomic_load_explicit(&h->responses, memory_order_relaxed);
}

/* Bytes written without being seen (sendfile, splice). */
void lc_h1_wrote_unseen(struct lc_h1 *h, uint64_t n);

enum lc_h1_verdict {
	LC_H1_NOT_HTTP,	      /* judge it without the protocol */
	LC_H1_BUSY,	      /* a request read or a response written in part, or one
			       * waiting for its response */
	LC_H1_DONE,	      /* complete, and its last response said Connection: close */
	LC_H1_BETWEEN,	      /* complete, keep-alive: the client may send again */
	LC_H1_WS_BETWEEN,     /* WebSocket between messages both ways: idle after
			       * the quiet time, then closed with Close 1001 */
};
enum lc_h1_verdict lc_h1_judge(const struct lc_h1 *h);

/* A WebSocket lastcall sent Close 1001 to after `quiet_ns` of quiet both
 * ways (0: at the drain deadline), for lc_h1_describe. */
void lc_h1_ws_note_quiet(struct lc_h1 *h, int64_t quiet_ns);

/* Where a connection stands, for the log, the report and /status:
 * "streaming chunked, 12 chunks, 3.1 KiB sent". */
void lc_h1_describe(const struct lc_h1 *h, char *out, size_t size);

#endif
