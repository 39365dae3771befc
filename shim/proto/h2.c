/* HTTP/2 frame headers (see h2.h). RFC 9113 section 4.1: 24-bit length,
 * 8-bit type, 8-bit flags, 1 reserved bit and a 31-bit stream id. */
#include "proto/h2.h"

#include <string.h>

enum { T_DATA = 0x0, T_HEADERS = 0x1, T_RST_STREAM = 0x3, T_PUSH_PROMISE = 0x5, T_GOAWAY = 0x7 };
#define FLAG_END_STREAM 0x1
#define WINDOW 32

const unsigned char lc_h2_goaway[LC_H2_GOAWAY_LEN] = {
	0, 0, 8, T_GOAWAY, 0, 0, 0, 0, 0, /* 8 bytes, stream 0 */
	0x7f, 0xff, 0xff, 0xff,		  /* last-stream-id 2^31-1 */
	0, 0, 0, 0,			  /* NO_ERROR */
};

int lc_h2_open_streams(const struct lc_h2_streams *open)
{
	return __builtin_popcount((uint32_t)atomic_load_explicit(&open->word, memory_order_relaxed));
}

/* A client stream opens; false if it does not fit the window. */
static bool stream_opens(struct lc_h2_streams *open, uint32_t id)
{
	if (!(id & 1))
		return true; /* not a client stream: nothing to follow */
	uint32_t index = id >> 1;
	uint64_t old = atomic_load_explicit(&open->word, memory_order_relaxed), next;
	do {
		uint32_t base = (uint32_t)(old >> 32), bits = (uint32_t)old;
		if (index < base)
			return true; /* an old stream again: a protocol error not ours to judge */
		if (index - base >= WINDOW) {
			if (bits == 0) {
				base = index;
			} else {
				int skip = __builtin_ctz(bits);
				base += (uint32_t)skip;
				bits >>= skip;
				if (index - base >= WINDOW)
					return false;
			}
		}
		bits |= 1u << (index - base);
		next = (uint64_t)base << 32 | bits;
	} while (!atomic_compare_exchange_weak_explicit(&open->word, &old, next,
							memory_order_relaxed, memory_order_relaxed));
	return true;
}

static void stream_ends(struct lc_h2_streams *open, uint32_t id)
{
	uint32_t index = id >> 1;
	uint64_t old = atomic_load_explicit(&open->word, memory_order_relaxed), next;
	do {
		uint32_t base = (uint32_t)(old >> 32), bits = (uint32_t)old;
		if (!(id & 1) || index < base || index - base >= WINDOW ||
		    !(bits & (1u << (index - base))))
			return;
		next = old & ~(uint64_t)(1u << (index - base));
	} while (!atomic_compare_exchange_weak_explicit(&open->word, &old, next,
							memory_order_relaxed, memory_order_relaxed));
}

/* The header is complete: the frame's meaning. */
static enum lc_h2_event frame_begins(struct lc_h2_side *s, struct lc_h2_streams *open,
				     bool from_client)
{
	s->pos = 0; /* `left` is the payload's length (header_byte) */
	s->preface = 0; /* the program's first frame has begun (h2.h) */
	enum lc_h2_event event = LC_H2_OK;
	if (from_client) {
		if (s->type == T_HEADERS && !stream_opens(open, s->stream))
			event = LC_H2_LOST;
	} else {
		if ((s->type == T_DATA || s->type == T_HEADERS) && (s->flags & FLAG_END_STREAM))
			stream_ends(open, s->stream);
		if (s->type == T_GOAWAY)
			event = LC_H2_PROGRAM_GOAWAY;
		if (s->type == T_PUSH_PROMISE)
			event = LC_H2_LOST; /* a stream of the program's own: not followed */
	}
	if (s->type == T_RST_STREAM)
		stream_ends(open, s->stream);
	return event;
}

/* A whole header at once: the common case, a frame per write. */
static enum lc_h2_event whole_header(struct lc_h2_side *s, struct lc_h2_streams *open,
				     const unsigned char *p, bool from_client)
{
	s->left = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
	s->type = p[3];
	s->flags = p[4];
	s->stream = ((uint32_t)p[5] & 0x7f) << 24 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 8 | p[8];
	return frame_begins(s, open, from_client);
}

/* A header byte; at the ninth, the frame's meaning. */
static enum lc_h2_event header_byte(struct lc_h2_side *s, struct lc_h2_streams *open,
				    unsigned char c, bool from_client)
{
	switch (s->pos++) {
	case 0:
		s->left = c;
		return LC_H2_OK;
	case 1:
	case 2:
		s->left = s->left << 8 | c;
		return LC_H2_OK;
	case 3:
		s->type = c;
		return LC_H2_OK;
	case 4:
		s->flags = c;
		return LC_H2_OK;
	case 5:
		s->stream = c & 0x7f;
		return LC_H2_OK;
	case 6:
	case 7:
		s->stream = s->stream << 8 | c;
		return LC_H2_OK;
	default:
		break;
	}
	s->stream = s->stream << 8 | c;
	return frame_begins(s, open, from_client);
}

static enum lc_h2_event feed(struct lc_h2_side *s, struct lc_h2_streams *open, const char *p,
			     size_t n, bool from_client)
{
	int seen = LC_H2_OK;
	while (n > 0) {
		if (s->pos == 0 && s->left > 0) { /* a payload: skipped whole */
			size_t skip = n < s->left ? n : s->left;
			s->left -= (uint32_t)skip;
			p += skip;
			n -= skip;
			continue;
		}
		if (s->pos == 0 && n >= 9) {
			seen |= whole_header(s, open, (const unsigned char *)p, from_client);
			p += 9;
			n -= 9;
		} else {
			seen |= header_byte(s, open, (unsigned char)*p, from_client);
			p++;
			n--;
		}
		if (seen & LC_H2_LOST)
			return (enum lc_h2_event)seen;
	}
	return (enum lc_h2_event)seen;
}

enum lc_h2_event lc_h2_read(struct lc_h2_side *s, struct lc_h2_streams *open, const char *p,
			    size_t n)
{
	while (s->preface > 0 && n > 0) {
		if (*p != LC_H2_PREFACE[LC_H2_PREFACE_LEN - s->preface])
			return LC_H2_LOST;
		s->preface--;
		p++;
		n--;
	}
	return feed(s, open, p, n, true);
}

enum lc_h2_event lc_h2_wrote(struct lc_h2_side *s, struct lc_h2_streams *open, const char *p,
			     size_t n)
{
	return feed(s, open, p, n, false);
}

size_t lc_h2_next_boundary(const struct lc_h2_side *s, const char *p, size_t n)
{
	struct lc_h2_side copy = *s;
	size_t at = 0;
	while (!lc_h2_goaway_may_go(&copy)) {
		if (at == n)
			return n + 1;
		if (copy.pos == 0 && copy.left > 0) {
			size_t skip = n - at < copy.left ? n - at : copy.left;
			copy.left -= (uint32_t)skip;
			at += skip;
			continue;
		}
		/* header bytes: only the length matters here */
		unsigned char c = (unsigned char)p[at++];
		if (copy.pos < 3)
			copy.left = (copy.pos == 0 ? 0 : copy.left << 8) | c;
		if (++copy.pos == 9) {
			copy.pos = 0; /* `left` is the payload's length */
			copy.preface = 0;
		}
	}
	return at;
}
