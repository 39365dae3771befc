/* WebSocket frame headers (see ws.h). RFC 6455 section 5.2: FIN, three
 * reserved bits and a 4-bit opcode; MASK and a 7-bit length (126: a
 * 16-bit length follows, 127: a 64-bit one); the masking key if MASK. */
#include "proto/ws.h"

#define OP_CONTINUATION 0x0
#define OP_CLOSE 0x8
#define FIN 0x80
#define RSV2_RSV3 0x30

const unsigned char lc_ws_close_going_away[LC_WS_CLOSE_LEN] = {FIN | OP_CLOSE, 2, 0x03, 0xe9};

/* The header is complete: what the frame means. */
static int frame_begins(struct lc_ws_side *s)
{
	int opcode = s->first & 0x0f;
	s->pos = 0;
	if (opcode >= 0x8) /* control frames never change a message */
		return opcode == OP_CLOSE ? (s->closed = 1, LC_WS_CLOSE) : LC_WS_OK;
	if (opcode == OP_CONTINUATION && !s->in_message)
		return LC_WS_NOT_WS;
	if (opcode != OP_CONTINUATION && s->in_message)
		return LC_WS_NOT_WS;
	s->in_message = !(s->first & FIN);
	return LC_WS_OK;
}

static int header_byte(struct lc_ws_side *s, unsigned char c, bool from_client)
{
	if (s->pos == 0) {
		int opcode = c & 0x0f;
		if ((c & RSV2_RSV3) || (opcode > 0x2 && opcode < 0x8) || opcode > 0xa ||
		    (opcode >= 0x8 && !(c & FIN)))
			return LC_WS_NOT_WS;
		s->first = c;
		lc_ws_set_left(s, 0);
		s->pos = 1;
		return LC_WS_OK;
	}
	if (s->pos == 1) {
		bool masked = c & 0x80;
		if (masked != from_client)
			return LC_WS_NOT_WS;
		unsigned len7 = c & 0x7f;
		if ((s->first & 0x0f) >= 0x8 && len7 > 125)
			return LC_WS_NOT_WS; /* control payloads are short */
		s->need = (uint8_t)(2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (masked ? 4 : 0));
		lc_ws_set_left(s, len7 < 126 ? len7 : 0);
		s->pos = 2;
	} else {
		unsigned extended = s->need - 2 - (from_client ? 4 : 0);
		if (s->pos < 2 + extended) {
			/* A frame of 1 TiB or more: not followed, as one that
			 * is not WebSocket's (judged from the kernel's view). */
			uint64_t length = lc_ws_left(s) << 8 | c;
			if (length > LC_LEN40_MAX)
				return LC_WS_NOT_WS;
			lc_ws_set_left(s, length);
		}
		s->pos++;
	}
	return s->pos == s->need ? frame_begins(s) : LC_WS_OK;
}

int lc_ws_feed(struct lc_ws_side *s, const char *p, size_t n, bool from_client)
{
	int seen = LC_WS_OK;
	while (n > 0) {
		uint64_t left = lc_ws_left(s);
		if (s->pos == 0 && left > 0) { /* a payload: skipped whole */
			size_t skip = n < left ? n : (size_t)left;
			lc_ws_set_left(s, left - skip);
			p += skip;
			n -= skip;
			continue;
		}
		seen |= header_byte(s, (unsigned char)*p, from_client);
		if (seen & LC_WS_NOT_WS)
			return seen;
		p++;
		n--;
	}
	return seen;
}
