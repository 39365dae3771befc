/* HTTP/2 in the clear (prior knowledge: the client preface in what the
 * program reads), from the 9-byte frame headers both ways — no HPACK.
 *
 * A connection is busy while a stream is open: the client's HEADERS on a
 * new (odd) stream opens it; the program's END_STREAM (on DATA or on
 * trailing HEADERS) or a RST_STREAM either way ends it. PING, SETTINGS,
 * WINDOW_UPDATE and PRIORITY change nothing. The open streams are a
 * bitmap of 32 client streams above a base, packed with the base in one
 * word so that the reading thread (opens) and the writing thread (ends)
 * update it lock-free; more than 32 streams apart at once and the
 * connection is no longer followed (judged from the kernel's view).
 *
 * The state of each direction overlays the HTTP/1.x side it replaces in
 * struct lc_h1 (a connection is one or the other). */
#ifndef LASTCALL_H2_H
#define LASTCALL_H2_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LC_H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define LC_H2_PREFACE_LEN 24

/* GOAWAY, last-stream-id 2^31-1, NO_ERROR: clients open no new stream on
 * the connection, and every stream they opened is still answered. */
#define LC_H2_GOAWAY_LEN 17
extern const unsigned char lc_h2_goaway[LC_H2_GOAWAY_LEN] __attribute__((visibility("hidden")));

/* One direction: where it is in a frame. 12 bytes, the size of an
 * HTTP/1.x side; `pos` sits where that side's state byte does, and never
 * takes the value of its "in a body" state (proto/http1.h's inline fast
 * path reads that byte alone). */
struct lc_h2_side {
	/* Payload bytes of the current frame still to come; while its
	 * header is read (pos 1-8), the length read so far: a frame's
	 * length is its header's first three bytes, and the payload only
	 * starts once the header is whole. */
	uint32_t left;
	uint8_t type;
	uint8_t pos; /* header bytes seen of the next frame (0-8) */
	uint8_t flags;
	/* Read side: client preface bytes still expected. Write side: 1
	 * until the program's first frame (its SETTINGS, the server
	 * preface, which must come first: RFC 9113 3.4) has begun. */
	uint8_t preface;
	uint32_t stream;
};

/* The open streams: base index (stream id >> 1) in the high half, the
 * bitmap of ids base*2+1 ... base*2+63 in the low half. */
struct lc_h2_streams {
	_Atomic uint64_t word;
};

/* What a feed saw: an OR of these. */
enum lc_h2_event {
	LC_H2_OK = 0,
	LC_H2_LOST = 1,		  /* more open streams apart than the bitmap holds, bad preface */
	LC_H2_PROGRAM_GOAWAY = 2, /* the program wrote a GOAWAY of its own */
};

/* The client's bytes: `preface` of it still expected at the start. */
enum lc_h2_event lc_h2_read(struct lc_h2_side *s, struct lc_h2_streams *open, const char *p,
			    size_t n);
/* The program's bytes. */
enum lc_h2_event lc_h2_wrote(struct lc_h2_side *s, struct lc_h2_streams *open, const char *p,
			     size_t n);

/* Between two frames (not inside a header or a payload). */
static inline bool lc_h2_at_boundary(const struct lc_h2_side *s)
{
	return s->pos == 0 && s->left == 0;
}

/* Where lastcall's GOAWAY may go into the program's output: between two
 * frames, after its SETTINGS. */
static inline bool lc_h2_goaway_may_go(const struct lc_h2_side *s)
{
	return lc_h2_at_boundary(s) && !s->preface;
}

/* How many of the program's next `n` bytes (at `p`) come before the
 * first place a GOAWAY may go (lc_h2_goaway_may_go), from side `s` (not
 * changed): 0 when it may go now; n + 1 when none falls inside these
 * bytes. */
size_t lc_h2_next_boundary(const struct lc_h2_side *s, const char *p, size_t n);

int lc_h2_open_streams(const struct lc_h2_streams *open);

#endif
