/* WebSocket (RFC 6455), after a 101 Switching Protocols answer: frame
 * boundaries both ways (FIN, fragmented messages, control frames
 * between their fragments), from the 2-14 byte frame headers; payloads
 * are skipped unread. A client frame must be masked and no reserved bit
 * but RSV1 (permessage-deflate) may be set: anything else after a 101
 * (an h2c upgrade's preface, another protocol) is not WebSocket and is
 * judged from the kernel's view.
 *
 * WebSocket has no end of an answer: a connection between two messages
 * both ways is idle once it has been quiet both ways for the quiet time
 * (LASTCALL_WS_QUIET); lastcall then sends Close 1001 ("going away")
 * between two of the program's frames, waits for the client's Close, and
 * closes. The state of each direction overlays the HTTP/1.x side it
 * replaces (as proto/h2.h's). */
#ifndef LASTCALL_WS_H
#define LASTCALL_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/len40.h"

/* Close, 1001 "going away", from the server: unmasked. */
#define LC_WS_CLOSE_LEN 4
extern const unsigned char lc_ws_close_going_away[LC_WS_CLOSE_LEN]
	__attribute__((visibility("hidden")));

/* One direction, 12 bytes: `left` is 40 bits, as an HTTP/1.x side's (a
 * frame of 1 TiB or more is not followed), and `pos` sits where that
 * side's state byte does (proto/http1.h). */
struct lc_ws_side {
	/* Payload bytes still to come; the extended length while in a
	 * header: low word, high byte (lc_ws_left). */
	uint32_t left_low;
	uint8_t left_high;
	uint8_t pos;	    /* header bytes seen of the next frame (0: at a boundary) */
	uint8_t need;	    /* header bytes this frame has (2, 4, 10; + 4 with a mask) */
	uint8_t first;	    /* the header's first byte: FIN, RSV, opcode */
	uint8_t in_message; /* a fragmented data message has begun and not ended */
	uint8_t closed;	    /* a Close frame went this way */
	uint8_t pad[2];
};

static inline uint64_t lc_ws_left(const struct lc_ws_side *s)
{
	return lc_len40(s->left_low, s->left_high);
}

static inline void lc_ws_set_left(struct lc_ws_side *s, uint64_t n)
{
	lc_len40_set(&s->left_low, &s->left_high, n);
}

enum lc_ws_event {
	LC_WS_OK = 0,
	LC_WS_NOT_WS = 1, /* a frame no WebSocket peer sends */
	LC_WS_CLOSE = 2,  /* a Close frame's header went by */
};

/* `from_client`: client frames are masked, the program's are not. */
int lc_ws_feed(struct lc_ws_side *s, const char *p, size_t n, bool from_client);

/* Between two frames and not inside a fragmented message. */
static inline bool lc_ws_between_messages(const struct lc_ws_side *s)
{
	return s->pos == 0 && lc_ws_left(s) == 0 && !s->in_message;
}

/* Between two frames (a control frame may go between fragments). */
static inline bool lc_ws_at_boundary(const struct lc_ws_side *s)
{
	return s->pos == 0 && lc_ws_left(s) == 0;
}

#endif
