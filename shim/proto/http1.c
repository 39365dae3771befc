/* HTTP/1.x framing (see http1.h). RFC 9112: a message is a start line,
 * header lines, an empty line, then a body framed by Transfer-Encoding:
 * chunked (its last coding), else Content-Length, else (responses only)
 * the connection's close. CR before LF is tolerated everywhere and
 * otherwise ignored, as by most parsers (RFC 9112 section 2.2). */
#include "proto/http1.h"

#include "base/export.h"

#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum state {
	S_START,	/* before a message's first byte */
	S_METHOD,	/* request line */
	S_TARGET,
	S_RVERSION,
	S_SVERSION, /* status line */
	S_STATUS,
	S_REASON,
	S_HDR_START, /* at the start of a header line */
	S_HDR_NAME,
	S_HDR_VALUE,
	S_HDR_SKIP, /* a line whose content does not matter */
	S_HEAD_LF,  /* the blank line's CR was seen */
	S_BODY = LC_H1_STATE_BODY, /* Content-Length bytes */
	S_CHUNK_SIZE,
	S_CHUNK_EXT,
	S_CHUNK_DATA,
	S_CHUNK_END,
	S_TRAILER_START,
	S_TRAILER_SKIP,
	S_TRAILER_LF,
	S_CLOSE_BODY, /* a response body that ends when the connection closes */
	S_DEAD,	      /* not followed any more */
};

/* Upgrade tells a 101 to h2c from one to WebSocket: it is looked for in
 * a 101's head only, by the byte machine (the whole-head path leaves 101s
 * to it), so that no other head pays for it. */
enum header { H_NONE, H_CONTENT_LENGTH, H_TRANSFER_ENCODING, H_CONNECTION, H_UPGRADE, H_OTHER };
#define H_LAST_NAMED H_UPGRADE
static const char *const header_names[] = {
	[H_CONTENT_LENGTH] = "content-length",
	[H_TRANSFER_ENCODING] = "transfer-encoding",
	[H_CONNECTION] = "connection",
	[H_UPGRADE] = "upgrade",
};
static const uint8_t header_lengths[] = {
	[H_CONTENT_LENGTH] = 14, [H_TRANSFER_ENCODING] = 17, [H_CONNECTION] = 10, [H_UPGRADE] = 7};
#define NAME_CANDIDATES ((1u << H_CONTENT_LENGTH) | (1u << H_TRANSFER_ENCODING) | (1u << H_CONNECTION))

/* Tokens of a Connection value, "chunked" of Transfer-Encoding, "h2c" of
 * Upgrade. */
enum token { T_NONE, T_CLOSE, T_KEEP_ALIVE, T_UPGRADE, T_CHUNKED, T_H2C, T_MISMATCH };
static const char *const token_names[] = {
	[T_CLOSE] = "close", [T_KEEP_ALIVE] = "keep-alive", [T_UPGRADE] = "upgrade",
	[T_CHUNKED] = "chunked", [T_H2C] = "h2c"};

/* Message flags. */
#define F_CONTENT_LENGTH 0x001
#define F_CHUNKED 0x002
#define F_CLOSE 0x004	   /* Connection: close */
#define F_KEEP_ALIVE 0x008 /* Connection: keep-alive */
#define F_UPGRADE 0x010	   /* Connection: upgrade */
#define F_HEAD 0x020	   /* request: the method is HEAD */
#define F_PRI 0x040	   /* request: the method is PRI (HTTP/2's preface) */
#define F_REWRITE 0x080	   /* response: gets Connection: close from lastcall */
#define F_SUBSTITUTED 0x100 /* response: a Connection value was overwritten */
#define F_H2C 0x200	    /* Upgrade: h2c (a 101 with it switches to HTTP/2) */
#define F_FOLDABLE 0x400    /* within a head: the last line was a header that frames */
#define F_MINOR1 0x800	    /* the message is HTTP/1.1 (else 1.0) */
/* RFC 9112 2.2: a CR must be followed by LF; a bare CR makes the message
 * invalid. This remembers a CR at the end of the previous buffer (found
 * by make fuzz: llhttp ends a line at a bare CR, and the tracker, skipping
 * it, would find a different end). */
#define F_CR_PENDING 0x1000
/* response: what its status means for its framing (status_flags) */
#define F_INTERIM 0x2000   /* 1xx: the final response follows */
#define F_SWITCHING 0x4000 /* 101 */
#define F_NO_BODY 0x8000   /* 204, 304 */

/* What the drain thread may say of the response being written. It reads
 * only atomic fields: the sides' own fields belong to their threads. */
enum shape { SHAPE_NONE, SHAPE_HEAD, SHAPE_LENGTH, SHAPE_CHUNKED, SHAPE_UNTIL_CLOSE };

#define STORE(field, v) atomic_store_explicit(&(field), (v), memory_order_relaxed)
#define LOAD(field) atomic_load_explicit(&(field), memory_order_relaxed)
#define LEFT(s) lc_h1_left(s)
#define SET_LEFT(s, n) lc_h1_set_left((s), (n))

/* A side's LC_H1_PARTLY, from its own thread: LC_H1_INSIDE, which the
 * hooks set around the system call, stays as it is. */
static inline void set_partly(_Atomic uint8_t *busy, bool partly)
{
	uint8_t was = LOAD(*busy);
	STORE(*busy, (uint8_t)((was & LC_H1_INSIDE) | (partly ? LC_H1_PARTLY : 0)));
}

static inline bool partly(const _Atomic uint8_t *busy)
{
	return atomic_load_explicit(busy, memory_order_relaxed) & LC_H1_PARTLY;
}

static inline char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c | 0x20) : c;
}

static inline bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static inline int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

LC_CONNECTION void lc_h1_reset(struct lc_h1 *h)
{
	memset(h, 0, sizeof *h); /* LC_PROTO_NONE meanwhile */
	atomic_store_explicit(&h->proto, LC_PROTO_UNKNOWN, memory_order_release);
}

/* The tracker cannot follow this connection any further. Before the
 * first request line was complete it simply is not HTTP/1.x. */
static void give_up(struct lc_h1 *h, struct lc_h1_side *s)
{
	s->state = S_DEAD;
	STORE(h->proto, LOAD(h->proto) == LC_PROTO_UNKNOWN ? LC_PROTO_OTHER : LC_PROTO_LOST);
}

/* --- HTTP/2 (proto/h2.h) on this connection --- */

static void h2_event(struct lc_h1 *h, enum lc_h2_event e)
{
	if (e & LC_H2_PROGRAM_GOAWAY)
		/* The program says goodbye itself: lastcall adds none. */
		STORE(h->h2_goaway, LC_H2_GOAWAY_SENT);
	if (e & LC_H2_LOST)
		STORE(h->proto, LC_PROTO_LOST);
}

static void h2_read(struct lc_h1 *h, const char *p, size_t n)
{
	enum lc_h2_event e = lc_h2_read(&h->h2_read, &h->h2_open, p, n);
	set_partly(&h->req_busy, !lc_h2_at_boundary(&h->h2_read) || h->h2_read.preface > 0);
	h2_event(h, e);
}

static void h2_wrote(struct lc_h1 *h, const char *p, size_t n)
{
	enum lc_h2_event e = lc_h2_wrote(&h->h2_write, &h->h2_open, p, n);
	set_partly(&h->resp_busy, !lc_h2_at_boundary(&h->h2_write));
	if ((e & LC_H2_LOST) && LOAD(h->proto) == LC_PROTO_UNKNOWN)
		h->h2_early = 2; /* whatever it is, it is not HTTP/2 */
	else
		h2_event(h, e);
}

/* --- WebSocket (proto/ws.h) on this connection --- */

static void ws_fed(struct lc_h1 *h, int e, bool from_client)
{
	/* Updated first, whatever follows: the state must not depend on how
	 * the bytes were cut (tests/fuzz/fuzz_http1_framing.c). */
	if (from_client)
		set_partly(&h->req_busy, !lc_ws_between_messages(&h->ws_read));
	else
		set_partly(&h->resp_busy, !lc_ws_between_messages(&h->ws_write));
	/* A Close before a frame that is no WebSocket's still counts, as it
	 * would have in a feed of its own (make fuzz: a 101, a Close and
	 * garbage in one write left a state the same bytes cut did not). */
	if ((e & LC_WS_CLOSE) && from_client)
		STORE(h->last_close, 1); /* the client's Close: it is leaving */
	if ((e & LC_WS_CLOSE) && !from_client)
		STORE(h->h2_goaway, LC_H2_GOAWAY_SENT); /* the program says goodbye */
	if (e & LC_WS_NOT_WS)
		STORE(h->proto, LC_PROTO_OTHER); /* not WebSocket: the kernel's view */
}

/* After a 101: both directions start at a frame boundary. */
static void become_ws(struct lc_h1 *h)
{
	memset(&h->ws_read, 0, sizeof h->ws_read);
	memset(&h->ws_write, 0, sizeof h->ws_write);
	STORE(h->ws_goodbye_ms, 0);
	STORE(h->ws_quiet_tenths, 0);
	STORE(h->h2_goaway, LC_H2_GOAWAY_NONE);
	STORE(h->last_close, 0);
	set_partly(&h->req_busy, 0);
	set_partly(&h->resp_busy, 0);
}

/* The first bytes the program reads are the HTTP/2 client preface (at
 * least "PRI ", which no HTTP/1.x request starts with). */
static bool starts_h2(const char *p, size_t n)
{
	size_t m = n < LC_H2_PREFACE_LEN ? n : LC_H2_PREFACE_LEN;
	return m >= 4 && memcmp(p, LC_H2_PREFACE, m) == 0;
}

/* After a 101 with "Upgrade: h2c" (RFC 7540 3.2): the program's next
 * bytes are its SETTINGS, the client's are its preface, and the upgrade
 * request is stream 1, which the program answers in HTTP/2 frames. */
static void become_h2c(struct lc_h1 *h)
{
	memset(&h->h2_read, 0, sizeof h->h2_read);
	h->h2_read.preface = LC_H2_PREFACE_LEN;
	memset(&h->h2_write, 0, sizeof h->h2_write);
	h->h2_write.preface = 1;
	STORE(h->h2_open.word, 1); /* stream 1: index 0 above base 0 */
	STORE(h->h2_goaway, LC_H2_GOAWAY_NONE);
	STORE(h->last_close, 0);
	set_partly(&h->req_busy, 0);
	set_partly(&h->resp_busy, 0);
}

static void become_h2(struct lc_h1 *h)
{
	memset(&h->h2_read, 0, sizeof h->h2_read);
	h->h2_read.preface = LC_H2_PREFACE_LEN;
	if (h->h2_early == 2) {
		STORE(h->proto, LC_PROTO_LOST);
		return;
	}
	if (!h->h2_early) {
		memset(&h->h2_write, 0, sizeof h->h2_write);
		h->h2_write.preface = 1; /* its SETTINGS still to come */
	}
	STORE(h->proto, LC_PROTO_H2);
}

LC_SERVING_CORE static bool followed(const struct lc_h1 *h)
{
	uint8_t proto = LOAD(h->proto);
	return proto == LC_PROTO_UNKNOWN || proto == LC_PROTO_HTTP1;
}

static size_t saw_cr(struct lc_h1_side *s)
{
	s->flags |= F_CR_PENDING;
	return 1;
}

/* In [p, p+n): no CR except right before an LF. Returns false on a bare CR. */
static bool crs_ok(struct lc_h1_side *s, const char *p, size_t n)
{
	const char *cr = memchr(p, '\r', n);
	while (cr) {
		size_t at = (size_t)(cr - p);
		if (at + 1 == n) {
			saw_cr(s);
			return true;
		}
		if (p[at + 1] != '\n')
			return false;
		cr = memchr(cr + 1, '\r', n - at - 1);
	}
	return true;
}

/* --- tokens in a header value (Connection, Transfer-Encoding) --- */

/* White space after a token's letters: the token is over (`pos` keeps
 * how many letters matched in its low bits). */
#define TOKEN_ENDED 0x80

LC_SERVING static void token_byte(struct lc_h1_side *s, char c)
{
	if (c == ',') {
		s->token = T_NONE;
		s->pos = 0;
		return;
	}
	if (is_ows(c)) {
		if (s->token != T_NONE)
			s->pos |= TOKEN_ENDED; /* "c hunked" is not chunked (make fuzz) */
		return;
	}
	if (s->token == T_MISMATCH)
		return;
	if (s->pos & TOKEN_ENDED) {
		s->token = T_MISMATCH; /* more after white space that ended a token */
		return;
	}
	if (s->token == T_NONE) {
		if (s->header == H_TRANSFER_ENCODING)
			s->token = T_CHUNKED;
		else if (s->header == H_UPGRADE)
			s->token = T_H2C;
		else
			s->token = lower(c) == 'c' ? T_CLOSE : lower(c) == 'k' ? T_KEEP_ALIVE
						 : lower(c) == 'u' ? T_UPGRADE : T_MISMATCH;
		s->pos = 0;
	}
	if (s->token == T_MISMATCH)
		return;
	const char *want = token_names[s->token];
	/* A NUL byte never matches the terminator (found by make fuzz). */
	if (want[s->pos] != '\0' && want[s->pos] == lower(c))
		s->pos++;
	else
		s->token = T_MISMATCH;
}

/* A token ends at ',' or at the end of the value: does it count? */
LC_SERVING static void token_end(struct lc_h1_side *s)
{
	if (s->token == T_NONE || s->token == T_MISMATCH ||
	    token_names[s->token][s->pos & ~TOKEN_ENDED] != '\0')
		return;
	static const uint16_t flag_of[] = {[T_CLOSE] = F_CLOSE, [T_KEEP_ALIVE] = F_KEEP_ALIVE,
					   [T_UPGRADE] = F_UPGRADE, [T_CHUNKED] = F_CHUNKED,
					   [T_H2C] = F_H2C};
	s->flags |= flag_of[s->token];
}

/* Transfer-Encoding: chunked counts only as the last coding. */
LC_SERVING static void value_end(struct lc_h1_side *s)
{
	if (s->header == H_TRANSFER_ENCODING) {
		s->flags &= (uint16_t)~F_CHUNKED;
		token_end(s);
	} else if (s->header == H_CONNECTION || s->header == H_UPGRADE) {
		token_end(s);
	}
}

/* --- edits (a response written after the signal) --- */

static void add_edit(struct lc_h1_edits *edits, uint32_t at, uint32_t len, bool insert,
		     uint8_t from)
{
	if (!edits)
		return;
	if (edits->count > 0) {
		struct lc_h1_edit *last = &edits->e[edits->count - 1];
		if (!insert && !last->insert && last->at + last->len == at) {
			last->len += len;
			return;
		}
	}
	if (edits->count == LC_H1_MAX_EDITS) {
		edits->overflow = true;
		return;
	}
	edits->e[edits->count++] = (struct lc_h1_edit){.at = at, .len = len, .insert = insert,
						       .from = from};
}

/* --- message boundaries --- */

LC_SERVING_CORE static void request_head_done(struct lc_h1 *h)
{
	struct lc_h1_side *s = &h->req;
	uint16_t n = LOAD(h->requests);
	uint16_t mask = LOAD(h->head_mask);
	uint16_t bit = (uint16_t)(1u << (n & 15));
	STORE(h->head_mask, (uint16_t)((s->flags & F_HEAD) ? (mask | bit) : (mask & ~bit)));
	STORE(h->requests, (uint16_t)(n + 1));
	if (s->flags & F_CHUNKED) {
		s->state = S_CHUNK_SIZE;
		SET_LEFT(s, 0);
		s->pos = 0;
	} else if ((s->flags & F_CONTENT_LENGTH) && LEFT(s) > 0) {
		s->state = S_BODY;
	} else {
		s->state = S_START;
		set_partly(&h->req_busy, 0);
	}
}

LC_SERVING_CORE static void message_done(struct lc_h1 *h, struct lc_h1_side *s, bool response)
{
	s->state = S_START;
	if (!response) {
		set_partly(&h->req_busy, 0);
		return;
	}
	bool close = (s->flags & (F_CLOSE | F_REWRITE)) ||
		     (!(s->flags & F_MINOR1) && !(s->flags & F_KEEP_ALIVE));
	STORE(h->last_close, close);
	STORE(h->responses, (uint16_t)(LOAD(h->responses) + 1));
	set_partly(&h->resp_busy, 0);
	STORE(h->shape, SHAPE_NONE);
}

LC_SERVING_CORE static void response_head_done(struct lc_h1 *h)
{
	struct lc_h1_side *s = &h->resp;
	if (s->flags & F_INTERIM) {
		if (s->flags & F_SWITCHING) {
			/* Switching protocols, followed from the next byte on
			 * (lc_h1_wrote_more): to HTTP/2 if the 101 says
			 * "Upgrade: h2c", else to WebSocket (whose frames are
			 * checked: anything else is judged from the kernel's
			 * view). */
			bool h2c = s->flags & F_H2C;
			message_done(h, s, true);
			STORE(h->proto, h2c ? LC_PROTO_H2 : LC_PROTO_WS);
			s->state = S_DEAD; /* ends this feed */
			return;
		}
		s->state = S_START; /* interim (100 Continue, 103): the final one follows */
		return;
	}
	uint16_t n = LOAD(h->responses);
	bool to_head = (LOAD(h->head_mask) >> (n & 15)) & 1;
	if (to_head || (s->flags & F_NO_BODY) ||
	    ((s->flags & F_CONTENT_LENGTH) && !(s->flags & F_CHUNKED) && LEFT(s) == 0)) {
		message_done(h, s, true);
	} else if (s->flags & F_CHUNKED) {
		s->state = S_CHUNK_SIZE;
		SET_LEFT(s, 0);
		s->pos = 0;
		STORE(h->shape, SHAPE_CHUNKED);
	} else if (s->flags & F_CONTENT_LENGTH) {
		s->state = S_BODY;
		STORE(h->shape, SHAPE_LENGTH);
	} else {
		s->state = S_CLOSE_BODY;
		STORE(h->shape, SHAPE_UNTIL_CLOSE);
	}
}

LC_SERVING_CORE static void head_done(struct lc_h1 *h, bool response)
{
	/* What the header lines left behind means nothing past the head: the
	 * same state however the head was read (line by line, byte by byte). */
	struct lc_h1_side *s = response ? &h->resp : &h->req;
	s->header = H_NONE;
	s->token = T_NONE;
	s->pos = 0;
	s->vpos = 0;
	if (response)
		response_head_done(h);
	else
		request_head_done(h);
}

/* The response's first byte: from the signal on it gets Connection:
 * close, unless more requests wait behind it (a pipelining client would
 * drop their answers). */
LC_SERVING_CORE static void response_start(struct lc_h1 *h, bool closing)
{
	struct lc_h1_side *s = &h->resp;
	uint16_t waiting = (uint16_t)(LOAD(h->requests) - LOAD(h->responses));
	s->flags = closing && waiting <= 1 ? F_REWRITE : 0;
	SET_LEFT(s, 0); /* the status code, read digit by digit */
	STORE(h->chunks, 0);
	set_partly(&h->resp_busy, 1);
	STORE(h->shape, SHAPE_HEAD);
}

/* What a response's status means for its framing: interim (1xx, 101
 * among them), or no body (204, 304). Flags rather than the code: the
 * state has no room for it (http1.h). */
LC_SERVING_CORE static uint16_t status_flags(unsigned status)
{
	if (status >= 100 && status < 200)
		return F_INTERIM | (status == 101 ? F_SWITCHING : 0);
	return status == 204 || status == 304 ? F_NO_BODY : 0;
}

/* A chunk-size line ended: its data, or the trailers after the last. */
static void chunk_size_done(struct lc_h1 *h, struct lc_h1_side *s, bool response)
{
	if (response && LOAD(h->chunks) < UINT16_MAX)
		STORE(h->chunks, (uint16_t)(LOAD(h->chunks) + 1));
	s->state = LEFT(s) == 0 ? S_TRAILER_START : S_CHUNK_DATA;
}

/* The letters of a header name, as many as this buffer holds: each ends
 * the candidates it does not continue. Stops before ':', CR or LF, which
 * step() handles. Most names are out of the race after a letter or two
 * and the rest of their line is skipped with memchr. */
static size_t name_run(struct lc_h1_side *s, const char *p, size_t n)
{
	size_t i = 0;
	for (; i < n; i++) {
		char c = lower(p[i]);
		if (c == ':' || c == '\r' || c == '\n')
			return i; /* i > 0: step() saw p[0] was none of these */
		unsigned mask = s->header;
		for (int id = H_CONTENT_LENGTH; id <= H_LAST_NAMED; id++)
			if ((mask & (1u << id)) &&
			    (s->pos >= header_lengths[id] || header_names[id][s->pos] != c))
				mask &= ~(1u << id);
		s->header = (uint8_t)mask;
		if (s->pos < 255)
			s->pos++;
		if (!mask) {
			s->state = S_HDR_SKIP;
			s->header = H_OTHER;
			return i + 1;
		}
	}
	return n;
}

/* --- whole heads, line by line --- */

#ifdef __SSE2__
/* Sixteen copies of a byte (`four`: four copies), built in registers. As
 * a constant it is a load from .rodata: a page of its own to touch after
 * each system call, about 4 ns on the project's VM (doc/performance.md).
 * The empty asm keeps the compiler from folding it back into one. */
static inline __m128i bytes16(int four)
{
	__asm__("" : "+r"(four));
	return _mm_shuffle_epi32(_mm_cvtsi32_si128(four), 0);
}
#endif

/* The first CR or LF in [p, stop), or NULL. Sixteen bytes at a time where
 * SSE2 is (every x86-64): one pass for both bytes instead of a memchr for
 * each, which was a third of a whole head's instructions (make bench,
 * write_http_head: 261 of 871 in memchr, two calls a line). Reads no byte
 * at or after stop. */
static inline const char *cr_or_lf(const char *p, const char *stop)
{
#ifdef __SSE2__
	const __m128i cr = bytes16(0x0d0d0d0d), lf = bytes16(0x0a0a0a0a);
	for (; stop - p >= 16; p += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned hits = (unsigned)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));
		if (hits)
			return p + __builtin_ctz(hits);
	}
#endif
	for (; p < stop; p++)
		if (*p == '\r' || *p == '\n')
			return p;
	return NULL;
}

/* A line from p ends in CRLF, with no CR or LF before it: returns its LF,
 * else NULL (no line end within stop, an LF alone, or a bare CR, which
 * ends a line for llhttp (make fuzz): not ours to read). */
static inline const char *crlf_at(const char *p, const char *stop)
{
	const char *cr = cr_or_lf(p, stop);
	if (!cr || *cr != '\r' || cr + 1 == stop || cr[1] != '\n')
		return NULL;
	return cr + 1;
}

/* Eight bytes from p, as one word. */
static inline uint64_t word_at(const char *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
	return w;
}

/* p's first len (8 to 24) bytes are `name` (lower case letters and '-'),
 * in any case. Eight bytes at a time: OR-ing 0x20 lowers a capital letter
 * and leaves a lower one; of the other bytes only CR (0x0d) would come out
 * as one of these ('-'), and the caller's line has none. Written out
 * rather than as a loop so that, inlined with a string literal and a
 * constant length, the name's words are immediates. */
static inline bool same_name(const char *p, const char *name, size_t len)
{
	const uint64_t lowers = 0x2020202020202020ull;
	if ((word_at(p) | lowers) != word_at(name))
		return false;
	if (len > 16 && (word_at(p + 8) | lowers) != word_at(name + 8))
		return false;
	/* the last word overlaps the ones before */
	return (word_at(p + len - 8) | lowers) == word_at(name + len - 8);
}

/* A Connection value that is " close", in any case, as the byte machine
 * would read it (make bench's connection-per-request client sends it: 6
 * bytes through token_byte were 388 instructions of a request's 1,700).
 * One word from the colon before `v` to the line's CR, ": close\r", with
 * the five letters lowered as in same_name: a byte ORed with 0x20 is a
 * lower-case letter only if it was that letter in either case. */
static inline bool value_is_close(const char *v)
{
	const uint64_t letters = 0x0020202020200000ull; /* bytes 2 to 6 */
	return (word_at(v - 1) | letters) == word_at(": close\r");
}

/* The header lines from `line` to the blank line, within `stop`, into the
 * fields of `t` the byte machine below would set (Content-Length,
 * Transfer-Encoding, Connection). Returns the first byte after the blank
 * line, or NULL for anything unusual (the head incomplete, an LF alone, a
 * CR inside a line, a bad Content-Length): the byte machine then reads it. */
LC_SERVING_CORE static const char *fields_at_once(const char *line, const char *stop,
					      struct lc_h1_side *t)
{
	for (;;) {
		const char *lf = crlf_at(line, stop);
		if (!lf)
			return NULL;
		size_t len = (size_t)(lf - 1 - line);
		if (len == 0)
			return lf + 1; /* the blank line */
		/* Only three names matter: each is known by its first letter
		 * and where its colon is, then compared whole. */
		enum header id = H_OTHER;
		size_t name_len = 0; /* not header_lengths[]: no .rodata here (bytes16) */
		char first = (char)(line[0] | 0x20);
		if (first == 'c') {
			if (len > 10 && line[10] == ':' && same_name(line, "connection", 10))
				id = H_CONNECTION, name_len = 10;
			else if (len > 14 && line[14] == ':' && same_name(line, "content-length", 14))
				id = H_CONTENT_LENGTH, name_len = 14;
		} else if (first == 't' && len > 17 && line[17] == ':' &&
			   same_name(line, "transfer-encoding", 17)) {
			id = H_TRANSFER_ENCODING, name_len = 17;
		}
		/* Nor a framing value folded onto the next line (the byte
		 * machine gives up on it: F_FOLDABLE). Looked at here, on the
		 * few lines that frame, not on every line. */
		if (id != H_OTHER && lf + 1 < stop && is_ows(lf[1]))
			return NULL;
		const char *v = line + name_len + 1, *end = lf - 1; /* the value */
		if (id == H_CONTENT_LENGTH) {
			t->flags |= F_CONTENT_LENGTH;
			/* at most LC_H1_LEFT_MAX: times 10 plus 9 fits 64 bits */
			uint64_t length = 0;
			for (; v < end; v++) {
				if (*v >= '0' && *v <= '9')
					length = length * 10 + (uint64_t)(*v - '0');
				else if (!is_ows(*v))
					return NULL;
				if (length > LC_H1_LEFT_MAX)
					return NULL;
			}
			SET_LEFT(t, length);
		} else if (id == H_CONNECTION && end - v == 11 && v[0] == ' ' &&
			   same_name(v + 1, "keep-alive", 10)) {
			t->flags |= F_KEEP_ALIVE; /* the usual value, whole */
		} else if (id == H_CONNECTION && end - v == 6 && value_is_close(v)) {
			t->flags |= F_CLOSE; /* the other usual one */
		} else if (id != H_OTHER) {
			t->header = (uint8_t)id;
			t->token = T_NONE;
			t->pos = 0;
			for (; v < end; v++) {
				if (*v == ',')
					token_end(t);
				token_byte(t, *v);
			}
			value_end(t);
		}
		line = lf + 1;
	}
}

/* A whole response head in one write, before the signal: the usual case,
 * read line by line with memchr rather than byte by byte. It must leave
 * the state the byte machine below leaves (checked by
 * tests/unit/proto/test_http1_splits.c and make fuzz, which feed the same
 * bytes whole and cut). Returns the bytes used, or 0 with nothing
 * changed. */
LC_SERVING_CORE static size_t response_at_once(struct lc_h1 *h, const char *p, size_t n)
{
	/* A CR that ended the last write wants an LF first (step()). */
	if ((h->resp.flags & F_CR_PENDING) || n < 16 || memcmp(p, "HTTP/1.", 7) != 0 ||
	    (p[7] != '0' && p[7] != '1') || p[8] != ' ' || p[9] < '1' || p[9] > '9' ||
	    p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9')
		return 0;
	if (p[9] == '1' && p[10] == '0' && p[11] == '1')
		return 0; /* a 101: the byte machine reads its Upgrade (h2c or not) */
	const char *lf = crlf_at(p, p + n);
	if (!lf)
		return 0;
	struct lc_h1_side t = {0};
	const char *end = fields_at_once(lf + 1, p + n, &t);
	if (!end)
		return 0;
	struct lc_h1_side *s = &h->resp;
	response_start(h, false);
	unsigned status = (unsigned)((p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0'));
	s->flags = t.flags | (p[7] == '1' ? F_MINOR1 : 0) | status_flags(status);
	SET_LEFT(s, LEFT(&t));
	head_done(h, true);
	return (size_t)(end - p);
}

/* Would the byte machine take [p, end) for a request target: no byte at or
 * below ' ', none DEL (bytes from 0x80 up pass, as there)? Eight bytes at
 * a time: the target is most of a request line, and a loop over its bytes
 * was a third of a whole request's read (make bench, read_http_request:
 * 181 of 577 instructions). Each test is Bit Twiddling Hacks' "has a byte
 * less than n" (below 0x21; below 1 after XOR with DEL): a borrow can mark
 * the wrong byte, but only after a byte that truly matched, so the yes/no
 * answer is exact, and a byte with its high bit set never matches. */
LC_SERVING_CORE bool lc_h1_target_ok(const char *p, const char *end)
{
	const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
	if (end - p < 8) {
		for (; p < end; p++)
			if ((unsigned char)*p <= ' ' || *p == 0x7f)
				return false;
		return true;
	}
	for (;;) {
		uint64_t w, del;
		memcpy(&w, p, 8);
		del = w ^ (ones * 0x7f);
		if (((w - ones * 0x21) & ~w & highs) | ((del - ones) & ~del & highs))
			return false;
		if (end - p == 8)
			return true;
		/* the last word overlaps words already checked: checking twice is harmless */
		p = end - p >= 16 ? p + 8 : end - 8;
	}
}

/* The same for a whole request head in one read. The request line is
 * checked as the byte machine checks it; HTTP/2's "PRI" is left to it. */
LC_SERVING_CORE static size_t request_at_once(struct lc_h1 *h, const char *p, size_t n)
{
	if (h->req.flags & F_CR_PENDING)
		return 0; /* a CR that ended the last read wants an LF first (step()) */
	size_t m = 0;
	if (n >= 4 && memcmp(p, "GET ", 4) == 0)
		m = 3; /* most requests: one compare instead of the loop */
	else
		while (m < n && m < 24 &&
		       ((p[m] >= 'A' && p[m] <= 'Z') || (m > 0 && (p[m] == '-' || p[m] == '_'))))
			m++;
	if (m == 0 || m >= n || p[m] != ' ' || (m == 3 && memcmp(p, "PRI", 3) == 0))
		return 0;
	/* crlf_at rather than memchr for '\n': no call through the PLT,
	 * whose stub, GOT entry and libc's function are three more lines of
	 * code and data to fetch after the read's system call. A CR alone in
	 * the line, which memchr let through to the checks below, now goes to
	 * the byte machine at once: the same verdict, reached there. */
	const char *lf = crlf_at(p, p + n);
	if (!lf || lf - p < (ptrdiff_t)m + 12)
		return 0;
	const char *version = lf - 9; /* "HTTP/1.x\r" */
	if (memcmp(version, "HTTP/1.", 7) != 0 || (version[7] != '0' && version[7] != '1') ||
	    version[-1] != ' ')
		return 0;
	if (!lc_h1_target_ok(p + m + 1, version - 1))
		return 0;
	struct lc_h1_side t = {0};
	const char *end = fields_at_once(lf + 1, p + n, &t);
	if (!end)
		return 0;
	struct lc_h1_side *s = &h->req;
	STORE(h->proto, LC_PROTO_HTTP1);
	set_partly(&h->req_busy, 1);
	s->flags = t.flags | (version[7] == '1' ? F_MINOR1 : 0) |
		   (m == 4 && memcmp(p, "HEAD", 4) == 0 ? F_HEAD : 0);
	SET_LEFT(s, LEFT(&t));
	head_done(h, false);
	return (size_t)(end - p);
}

/* --- the byte loop, shared by both directions --- */

struct feed {
	struct lc_h1 *h;
	struct lc_h1_side *s;
	bool response;
	bool closing;
	struct lc_h1_edits *edits;
	size_t base; /* offset of the current byte in this write (or read) */
};

/* Returns how many bytes it used at p[0..n) (at least 1 unless n is 0). */
static size_t step(struct feed *f, const char *p, size_t n)
{
	struct lc_h1 *h = f->h;
	struct lc_h1_side *s = f->s;
	char c = p[0];
	size_t take;

	if (s->flags & F_CR_PENDING) {
		s->flags &= (uint16_t)~F_CR_PENDING;
		if (c != '\n' && s->state != S_BODY && s->state != S_CHUNK_DATA &&
		    s->state != S_CLOSE_BODY) {
			give_up(h, s);
			return n;
		}
	}

	switch ((enum state)s->state) {
	case S_START:
		if (c == '\r')
			return saw_cr(s);
		if (c == '\n')
			return 1; /* empty lines between messages (RFC 9112 2.2) */
		if (f->response) {
			if (LOAD(h->proto) != LC_PROTO_HTTP1) {
				give_up(h, s); /* the program spoke before a request line */
				return n;
			}
			response_start(h, f->closing);
			s->state = S_SVERSION;
			s->pos = 0;
			return 0;
		}
		if (c < 'A' || c > 'Z') {
			give_up(h, s);
			return n;
		}
		s->state = S_METHOD;
		s->flags = (c == 'H' ? F_HEAD : 0) | (c == 'P' ? F_PRI : 0);
		SET_LEFT(s, 0);
		s->pos = 1;
		set_partly(&h->req_busy, 1);
		return 1;
	case S_METHOD:
		if (c == ' ') {
			if (s->pos != 4)
				s->flags &= (uint16_t)~F_HEAD;
			if (s->pos != 3)
				s->flags &= (uint16_t)~F_PRI;
			if (s->flags & F_PRI) {
				/* "PRI * HTTP/2.0": HTTP/2 prior knowledge, its
				 * preface read in pieces. The rest is frames. */
				become_h2(h);
				h->h2_read.preface = LC_H2_PREFACE_LEN - 4;
				if (LOAD(h->proto) == LC_PROTO_H2)
					h2_read(h, p + 1, n - 1);
				return n;
			}
			s->state = S_TARGET;
			return 1;
		}
		if (!((c >= 'A' && c <= 'Z') || c == '-' || c == '_') || s->pos >= 24) {
			give_up(h, s);
			return n;
		}
		if (s->pos >= 4 || "HEAD"[s->pos] != c)
			s->flags &= (uint16_t)~F_HEAD;
		if (s->pos >= 3 || "PRI"[s->pos] != c)
			s->flags &= (uint16_t)~F_PRI;
		s->pos++;
		return 1;
	case S_TARGET:
		for (size_t i = 0; i < n; i++) {
			unsigned char t = (unsigned char)p[i];
			if (t == ' ') {
				s->state = S_RVERSION;
				s->pos = 0;
				return i + 1;
			}
			if (t < ' ' || t == 0x7f) {
				give_up(h, s);
				return n;
			}
		}
		return n;
	case S_RVERSION:
	case S_SVERSION:
		/* The whole "HTTP/1.x " of a status line at once, as it nearly
		 * always comes. */
		if (s->state == S_SVERSION && s->pos == 0 && n >= 13 && memcmp(p, "HTTP/1.", 7) == 0 &&
		    (p[7] == '0' || p[7] == '1') && p[8] == ' ' && p[9] >= '0' && p[9] <= '9' &&
		    p[10] >= '0' && p[10] <= '9' && p[11] >= '0' && p[11] <= '9') {
			s->flags |= p[7] == '1' ? F_MINOR1 : 0;
			SET_LEFT(s, (uint64_t)((p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0')));
			s->state = S_STATUS;
			s->pos = 3;
			return 12;
		}
		if (s->pos < 7) {
			if ("HTTP/1."[s->pos] != c) {
				give_up(h, s);
				return n;
			}
			s->pos++;
			return 1;
		}
		if (s->pos == 7) {
			if (c != '0' && c != '1') {
				give_up(h, s);
				return n;
			}
			s->flags |= c == '1' ? F_MINOR1 : 0;
			s->pos++;
			return 1;
		}
		if (s->state == S_SVERSION) {
			if (c != ' ') {
				give_up(h, s);
				return n;
			}
			s->state = S_STATUS;
			s->pos = 0;
			return 1;
		}
		if (c == '\r')
			return saw_cr(s);
		if (c != '\n') {
			give_up(h, s);
			return n;
		}
		STORE(h->proto, LC_PROTO_HTTP1);
		s->state = S_HDR_START;
		return 1;
	case S_STATUS:
		if (s->pos < 3) {
			if (c < '0' || c > '9') {
				give_up(h, s);
				return n;
			}
			SET_LEFT(s, LEFT(s) * 10 + (uint64_t)(c - '0'));
			s->pos++;
			return 1;
		}
		if (LEFT(s) < 100) {
			give_up(h, s); /* no such status (llhttp reads "020" as 20) */
			return n;
		}
		s->flags |= status_flags((unsigned)LEFT(s));
		SET_LEFT(s, 0);
		if (s->flags & F_INTERIM)
			s->flags &= (uint16_t)~F_REWRITE; /* interim responses stay as they are */
		s->state = S_REASON;
		return 0;
	case S_REASON:
	case S_HDR_SKIP:
	case S_CHUNK_EXT:
	case S_TRAILER_SKIP: {
		const char *lf = memchr(p, '\n', n);
		if (!crs_ok(s, p, lf ? (size_t)(lf - p) : n)) {
			give_up(h, s);
			return n;
		}
		if (lf && lf > p && (s->flags & F_CR_PENDING))
			s->flags &= (uint16_t)~F_CR_PENDING; /* the CR right before this LF */
		if (!lf)
			return n;
		if (s->state == S_CHUNK_EXT)
			chunk_size_done(h, s, f->response);
		else
			s->state = s->state == S_TRAILER_SKIP ? S_TRAILER_START : S_HDR_START;
		return (size_t)(lf - p) + 1;
	}
	case S_HDR_START:
		if (is_ows(c) && (s->flags & F_FOLDABLE)) {
			/* Obsolete line folding continues a value that frames the
			 * message ("Content-Length:" CRLF " 5"): recipients
			 * differ on it (llhttp reads 5; make fuzz), so lastcall
			 * does not guess. */
			give_up(h, s);
			return n;
		}
		s->flags &= (uint16_t)~F_FOLDABLE;
		if (c == '\r' || c == '\n') {
			/* The blank line: lastcall's header goes in before it. */
			if ((s->flags & (F_REWRITE | F_SUBSTITUTED | F_CLOSE | F_MINOR1)) ==
			    (F_REWRITE | F_MINOR1)) {
				if (f->edits)
					add_edit(f->edits, (uint32_t)f->base, LC_H1_CLOSE_HEADER_LEN - h->ins_sent,
						 true, h->ins_sent);
				else
					h->ins_sent = 0; /* it left before this byte */
			}
			if (c == '\r') {
				s->state = S_HEAD_LF;
				return 1;
			}
			head_done(h, f->response);
			return 1;
		}
		if (is_ows(c)) {
			s->state = S_HDR_SKIP; /* obsolete line folding */
			return 1;
		}
		s->state = S_HDR_NAME;
		s->header = NAME_CANDIDATES | (f->response && (s->flags & F_SWITCHING) ? 1u << H_UPGRADE
											: 0);
		s->pos = 0;
		return 0;
	case S_HDR_NAME:
		if (c == ':') {
			enum header id = H_OTHER;
			for (int i = H_CONTENT_LENGTH; i <= H_LAST_NAMED; i++)
				if ((s->header & (1u << i)) && header_names[i][s->pos] == '\0')
					id = (enum header)i;
			s->header = (uint8_t)id;
			s->state = id == H_OTHER ? S_HDR_SKIP : S_HDR_VALUE;
			s->token = T_NONE;
			s->pos = 0;
			s->vpos = 0;
			if (id == H_CONTENT_LENGTH) {
				s->flags |= F_CONTENT_LENGTH;
				SET_LEFT(s, 0);
			}
			return 1;
		}
		if (c == '\n') {
			s->state = S_HDR_START; /* not a header line: ignored */
			return 1;
		}
		if (c == '\r') {
			s->state = S_HDR_SKIP;
			return saw_cr(s);
		}
		return name_run(s, p, n);
	case S_HDR_VALUE:
		if (c == '\n') {
			value_end(s);
			s->flags |= F_FOLDABLE;
			/* A value shorter than "close" (TE) cannot hold it:
			 * the header is added as well. */
			if ((s->flags & F_SUBSTITUTED) && s->header == H_CONNECTION && s->vpos < 5)
				s->flags &= (uint16_t)~F_SUBSTITUTED;
			s->state = S_HDR_START;
			return 1;
		}
		if (c == '\r')
			return saw_cr(s);
		if (s->header == H_CONTENT_LENGTH) {
			size_t i = 0;
			for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
				uint64_t length = LEFT(s) * 10 + (uint64_t)(p[i] - '0');
				if (length > LC_H1_LEFT_MAX) {
					give_up(h, s);
					return n;
				}
				SET_LEFT(s, length);
			}
			if (i)
				return i;
			if (is_ows(c))
				return 1;
			give_up(h, s);
			return n;
		}
		if (s->header == H_CONNECTION && f->response && (s->flags & F_REWRITE)) {
			if (s->vpos == 0 && is_ows(c)) {
				token_byte(s, c);
				return 1; /* leading white space stays */
			}
			/* Overwritten whatever it says ("close" stays "close"):
			 * decided from nothing ahead, so the same bytes go out
			 * however the program's writes and the kernel's counts
			 * cut them (make fuzz: an earlier look-ahead was not). */
			add_edit(f->edits, (uint32_t)f->base, 1, false, s->vpos);
			s->flags |= F_SUBSTITUTED;
			if (s->vpos < 255)
				s->vpos++;
		}
		if (c == ',' && s->header != H_CONTENT_LENGTH)
			token_end(s);
		token_byte(s, c);
		return 1;
	case S_HEAD_LF:
		if (c != '\n') {
			give_up(h, s);
			return n;
		}
		head_done(h, f->response);
		return 1;
	case S_BODY:
		take = n < LEFT(s) ? n : (size_t)LEFT(s);
		SET_LEFT(s, LEFT(s) - take);
		if (LEFT(s) == 0)
			message_done(h, s, f->response);
		return take;
	case S_CHUNK_SIZE: {
		if (c == '\r')
			return saw_cr(s);
		if (is_ows(c))
			return 1;
		if (c == ';' || c == '\n') {
			/* chunk-size = 1*HEXDIG: an empty one is no last chunk
			 * (llhttp reads on for a size; the fuzzer found the two
			 * counting differently after "\n\n") */
			if (s->pos == 0) {
				give_up(h, s);
				return n;
			}
			if (c == ';')
				s->state = S_CHUNK_EXT;
			else
				chunk_size_done(h, s, f->response);
			return 1;
		}
		int v = hex_value(c);
		uint64_t size = (LEFT(s) << 4) | (uint64_t)v;
		if (v < 0 || size > LC_H1_LEFT_MAX) {
			give_up(h, s);
			return n;
		}
		SET_LEFT(s, size);
		if (s->pos < UINT8_MAX)
			s->pos++;
		return 1;
	}
	case S_CHUNK_DATA:
		take = n < LEFT(s) ? n : (size_t)LEFT(s);
		SET_LEFT(s, LEFT(s) - take);
		if (LEFT(s) == 0)
			s->state = S_CHUNK_END;
		return take;
	case S_CHUNK_END:
		if (c == '\r')
			return saw_cr(s);
		if (c != '\n') {
			give_up(h, s);
			return n;
		}
		s->state = S_CHUNK_SIZE;
		s->pos = 0;
		return 1;
	case S_TRAILER_START:
		if (c == '\r') {
			s->state = S_TRAILER_LF;
			return 1;
		}
		if (c == '\n') {
			message_done(h, s, f->response);
			return 1;
		}
		s->state = S_TRAILER_SKIP;
		return 1;
	case S_TRAILER_LF:
		if (c != '\n') {
			give_up(h, s);
			return n;
		}
		message_done(h, s, f->response);
		return 1;
	case S_CLOSE_BODY:
	case S_DEAD:
		return n;
	}
	return n;
}

static void feed(struct feed *f, const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && f->s->state != S_DEAD) {
		size_t used = step(f, p + i, n - i);
		i += used;
		f->base += used;
	}
}

/* All of a read but whole request heads on a followed HTTP/1.x
 * connection: recognition, HTTP/2, WebSocket, and what the byte machine
 * reads (a body, a head cut across reads). Out of the serving section:
 * the code a keep-alive request runs fits on fewer pages without it. */
__attribute__((noinline)) static void read_other(struct lc_h1 *h, const char *p, size_t n,
						 uint32_t before)
{
	uint8_t proto = LOAD(h->proto);
	if (proto == LC_PROTO_UNKNOWN && before == 0 && h->req.state == S_START && starts_h2(p, n)) {
		become_h2(h);
		proto = LOAD(h->proto);
	}
	if (proto == LC_PROTO_H2) {
		h2_read(h, p, n);
		return;
	}
	if (proto == LC_PROTO_WS) {
		ws_fed(h, lc_ws_feed(&h->ws_read, p, n, true), true);
		return;
	}
	if (!followed(h))
		return;
	/* Whole heads were lc_h1_read's to take; the byte machine reads
	 * the rest and leaves the same state (tests/unit/proto/
	 * test_http1_splits.c, make fuzz). */
	struct feed f = {.h = h, .s = &h->req};
	feed(&f, p, n);
	if (h->h2_early && LOAD(h->proto) == LC_PROTO_HTTP1)
		give_up(h, &h->req); /* it wrote something else before the request */
}

LC_SERVING_CORE void lc_h1_read(struct lc_h1 *h, const char *p, size_t n)
{
	uint32_t before = LOAD(h->read_seen);
	STORE(h->read_seen, before + (uint32_t)n);
#ifdef LC_BENCH_NO_FRAMING
	/* A build for bench/run.py's step "framing" alone: no connection is
	 * recognised, so none is followed, to tell the framing's cost from
	 * the rest of lastcall's. */
	return;
#endif
	/* Whole request heads on an HTTP/1.x connection, or the first one
	 * on a new connection, as they nearly always come: read_other would
	 * do the same with them (request_at_once takes no "PRI", with which
	 * the HTTP/2 preface starts). */
	if (followed(h) && !h->h2_early) {
		while (n > 0 && h->req.state == S_START) {
			size_t used = request_at_once(h, p, n);
			if (!used)
				break;
			p += used;
			n -= used;
		}
		if (n == 0)
			return;
	}
	read_other(h, p, n, before);
}

void lc_h1_read_unseen(struct lc_h1 *h, uint64_t n)
{
	STORE(h->read_seen, LOAD(h->read_seen) + (uint32_t)n);
	if (LOAD(h->proto) == LC_PROTO_WS) {
		STORE(h->proto, LC_PROTO_OTHER);
		return;
	}
	if (LOAD(h->proto) == LC_PROTO_H2) {
		if (h->h2_read.pos == 0 && n <= h->h2_read.left && !h->h2_read.preface)
			h->h2_read.left -= (uint32_t)n; /* inside a payload */
		else
			STORE(h->proto, LC_PROTO_LOST);
		return;
	}
	if (!followed(h))
		return;
	struct lc_h1_side *s = &h->req;
	if ((s->state == S_BODY || s->state == S_CHUNK_DATA) && n <= LEFT(s)) {
		struct feed f = {.h = h, .s = s};
		/* step() skips body bytes without looking at them */
		while (n > 0 && (s->state == S_BODY || s->state == S_CHUNK_DATA)) {
			size_t part = n > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)n;
			size_t used = step(&f, "", part);
			n -= used;
		}
		if (n == 0)
			return;
	}
	give_up(h, s);
}

_Static_assert(S_BODY == LC_H1_STATE_BODY, "http1.h's fast path knows S_BODY");

/* The byte machine's part of a write (a head cut across writes, one
 * being rewritten, a chunked body), and what a 101 it saw ends in. */
__attribute__((noinline)) static void wrote_feed(struct lc_h1 *h, const char *p, size_t n,
						 bool closing, struct lc_h1_edits *edits,
						 size_t base)
{
	struct feed f = {.h = h, .s = &h->resp, .response = true, .closing = closing,
			 .edits = edits, .base = base};
	feed(&f, p, n);
	uint8_t switched = LOAD(h->proto); /* one load: this is every head's path */
	if (switched == LC_PROTO_H2) {
		/* A 101 to h2c ended in this write: its SETTINGS may follow. */
		become_h2c(h);
		size_t used = f.base - base;
		if (used < n)
			h2_wrote(h, p + used, n - used);
	} else if (switched == LC_PROTO_WS) {
		/* The 101's head ended in this write: what follows it in the
		 * same write is the first frames. */
		become_ws(h);
		size_t used = f.base - base;
		if (used < n)
			ws_fed(h, lc_ws_feed(&h->ws_write, p + used, n - used, false), false);
	}
}

/* A write on a connection not (yet) followed as HTTP/1.x: recognition,
 * HTTP/2, WebSocket. Out of the serving section, as read_other. */
__attribute__((noinline)) static void wrote_other(struct lc_h1 *h, const char *p, size_t n,
						  bool closing, struct lc_h1_edits *edits,
						  size_t base, uint32_t before)
{
	uint8_t proto = LOAD(h->proto);
	if (proto == LC_PROTO_UNKNOWN && !h->h2_early && before == (uint32_t)base && n > 0 &&
	    p[0] != 'H' && h->resp.state == S_START) {
		/* Written before any request, and not a status line: an HTTP/2
		 * server's SETTINGS, say. Followed as frames, in case. */
		memset(&h->h2_write, 0, sizeof h->h2_write);
		h->h2_write.preface = 1; /* these are its SETTINGS */
		h->h2_early = 1;
	}
	if (proto == LC_PROTO_H2 || (proto == LC_PROTO_UNKNOWN && h->h2_early)) {
		if (h->h2_early != 2)
			h2_wrote(h, p, n);
		return;
	}
	if (proto == LC_PROTO_WS) {
		ws_fed(h, lc_ws_feed(&h->ws_write, p, n, false), false);
		return;
	}
	if (followed(h))
		wrote_feed(h, p, n, closing, edits, base);
}

LC_SERVING_CORE void lc_h1_wrote_more(struct lc_h1 *h, const char *p, size_t n, bool closing,
				 struct lc_h1_edits *edits, size_t base, uint32_t before)
{
	if (LOAD(h->proto) != LC_PROTO_HTTP1) {
		wrote_other(h, p, n, closing, edits, base, before);
		return;
	}
	if (!edits && !closing && h->resp.state == S_START) {
		size_t used = response_at_once(h, p, n);
		p += used;
		n -= used;
		base += used;
		/* The usual rest of such a write: its body of known length, or
		 * the start of it, taken as step() takes it, without setting up
		 * a feed (about 60 instructions a response, make bench). */
		if (used && h->resp.state == S_BODY && n <= LEFT(&h->resp)) {
			SET_LEFT(&h->resp, LEFT(&h->resp) - n);
			if (LEFT(&h->resp) == 0)
				message_done(h, &h->resp, true);
			return;
		}
	}
	wrote_feed(h, p, n, closing, edits, base);
}

void lc_h1_wrote_unseen(struct lc_h1 *h, uint64_t n)
{
	STORE(h->written_seen, LOAD(h->written_seen) + (uint32_t)n);
	if (LOAD(h->proto) == LC_PROTO_WS) {
		STORE(h->proto, LC_PROTO_OTHER);
		return;
	}
	if (LOAD(h->proto) == LC_PROTO_H2) {
		if (h->h2_write.pos == 0 && n <= h->h2_write.left)
			h->h2_write.left -= (uint32_t)n; /* inside a payload */
		else
			STORE(h->proto, LC_PROTO_LOST);
		return;
	}
	if (!followed(h))
		return;
	struct lc_h1_side *s = &h->resp;
	if (s->state == S_CLOSE_BODY)
		return;
	if ((s->state == S_BODY || s->state == S_CHUNK_DATA) && n <= LEFT(s)) {
		struct feed f = {.h = h, .s = s, .response = true};
		while (n > 0 && (s->state == S_BODY || s->state == S_CHUNK_DATA)) {
			size_t part = n > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)n;
			n -= step(&f, "", part);
		}
		if (n == 0)
			return;
	}
	give_up(h, s);
}

enum lc_h1_verdict lc_h1_judge(const struct lc_h1 *h)
{
	if (LOAD(h->proto) == LC_PROTO_WS)
		return partly(&h->req_busy) || partly(&h->resp_busy) ? LC_H1_BUSY : LC_H1_WS_BETWEEN;
	if (LOAD(h->proto) == LC_PROTO_H2)
		/* Done once no stream is open and neither side is inside a
		 * frame: a client that wants more opens a stream on another
		 * connection (it has the GOAWAY, or gets it before the close). */
		return lc_h2_open_streams(&h->h2_open) > 0 || partly(&h->req_busy) ||
				       partly(&h->resp_busy)
			       ? LC_H1_BUSY
			       : LC_H1_DONE;
	if (LOAD(h->proto) != LC_PROTO_HTTP1)
		return LC_H1_NOT_HTTP;
	uint16_t waiting = (uint16_t)(LOAD(h->requests) - LOAD(h->responses));
	if (waiting > 0x8000)
		return LC_H1_NOT_HTTP; /* more answers than questions: not followed */
	if (partly(&h->req_busy) || partly(&h->resp_busy) || waiting > 0)
		return LC_H1_BUSY;
	return LOAD(h->last_close) ? LC_H1_DONE : LC_H1_BETWEEN;
}

static void bytes_text(char *out, size_t size, uint32_t n)
{
	if (n < 1024)
		snprintf(out, size, "%u B", n);
	else if (n < 1024 * 1024)
		snprintf(out, size, "%.1f KiB", n / 1024.0);
	else
		snprintf(out, size, "%.1f MiB", n / (1024.0 * 1024.0));
}

static void h2_describe(const struct lc_h1 *h, char *out, size_t size)
{
	int open = lc_h2_open_streams(&h->h2_open);
	const char *goaway = LOAD(h->h2_goaway) == LC_H2_GOAWAY_SENT ? ", GOAWAY sent" : "";
	if (open > 0)
		snprintf(out, size, "h2: %d open stream%s%s", open, open == 1 ? "" : "s", goaway);
	else if (partly(&h->resp_busy) || partly(&h->req_busy))
		snprintf(out, size, "h2: no open stream, inside a frame%s", goaway);
	else
		snprintf(out, size, "h2: no open stream%s", goaway);
}

void lc_h1_ws_note_quiet(struct lc_h1 *h, int64_t quiet_ns)
{
	int64_t tenths = quiet_ns / 100000000;
	STORE(h->ws_quiet_tenths, (uint16_t)(tenths > UINT16_MAX ? UINT16_MAX : tenths));
}

static void ws_describe(const struct lc_h1 *h, char *out, size_t size)
{
	const char *where = partly(&h->resp_busy)  ? "sending a message"
			    : partly(&h->req_busy) ? "receiving a message"
						: "between messages";
	const char *back = LOAD(h->last_close) ? ", the client's Close came back" : "";
	unsigned quiet = LOAD(h->ws_quiet_tenths);
	if (LOAD(h->h2_goaway) != LC_H2_GOAWAY_SENT)
		snprintf(out, size, "websocket: %s", where);
	else if (h->ins_sent != LC_WS_CLOSE_LEN)
		snprintf(out, size, "websocket: %s, the program's Close sent%s", where, back);
	else if (quiet)
		snprintf(out, size, "websocket: quiet %u.%u s, Close 1001 sent%s", quiet / 10,
			 quiet % 10, back);
	else
		snprintf(out, size, "websocket: %s, Close 1001 sent%s", where, back);
}

void lc_h1_describe(const struct lc_h1 *h, char *out, size_t size)
{
	if (LOAD(h->proto) == LC_PROTO_WS) {
		ws_describe(h, out, size);
		return;
	}
	if (LOAD(h->proto) == LC_PROTO_H2) {
		h2_describe(h, out, size);
		return;
	}
	uint16_t requests = LOAD(h->requests), responses = LOAD(h->responses);
	/* The connection's bytes, not the response's: where the response
	 * began is not kept (48 bytes, http1.h). A stream is most often its
	 * connection's first response, or its only long one. */
	char sent[32];
	bytes_text(sent, sizeof sent, LOAD(h->written_seen));
	switch (lc_h1_judge(h)) {
	case LC_H1_NOT_HTTP:
		snprintf(out, size, "%s", LOAD(h->proto) == LC_PROTO_LOST ? "http/1.x, not followed"
									 : "");
		return;
	case LC_H1_DONE:
		snprintf(out, size, "http/1.x: %u responses, the last with Connection: close",
			 responses);
		return;
	case LC_H1_BETWEEN:
		snprintf(out, size, "http/1.x: keep-alive, between requests (%u answered)",
			 responses);
		return;
	case LC_H1_WS_BETWEEN: /* described above */
	case LC_H1_BUSY:
		break;
	}
	if (partly(&h->resp_busy)) {
		switch ((enum shape)LOAD(h->shape)) {
		case SHAPE_CHUNKED:
			snprintf(out, size,
				 "http/1.x: streaming chunked, %u chunks, %s sent on the connection",
				 LOAD(h->chunks), sent);
			return;
		case SHAPE_UNTIL_CLOSE:
			snprintf(out, size,
				 "http/1.x: sending a body that ends at close, %s sent on the connection",
				 sent);
			return;
		case SHAPE_LENGTH:
			snprintf(out, size, "http/1.x: sending a body, %s sent on the connection", sent);
			return;
		default:
			snprintf(out, size, "http/1.x: writing the head of response %u",
				 responses + 1);
			return;
		}
	}
	if (partly(&h->req_busy) && requests == responses)
		snprintf(out, size, "http/1.x: reading request %u", requests + 1);
	else
		snprintf(out, size, "http/1.x: waiting for the response to request %u",
			 responses + 1);
}
