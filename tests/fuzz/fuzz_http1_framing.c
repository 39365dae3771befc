/* The HTTP/1.x tracker against llhttp (node's parser, from Debian's
 * node-llhttp sources, compiled into this fuzzer only): fed the same
 * bytes, cut at the same places, the tracker must count exactly the
 * messages llhttp completes, for as long as both follow the stream. Where
 * llhttp refuses the input, or the tracker gives up (and lastcall falls
 * back to judging without the protocol), the comparison ends: a lenient
 * tracker is fine, a wrong count is not.
 *
 * The stream is also fed whole to a second tracker, which reads complete
 * heads line by line (its fast path): it must end in exactly the state
 * of the one fed in pieces, byte by byte.
 *
 * Input: byte 0 picks requests or responses and seeds the cuts; the rest
 * is the stream. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llhttp.h"
#include "proto/http1.h"

struct counts {
	int heads, finals;
	bool closed;   /* a message said the connection ends after it */
	bool diverges; /* llhttp 8.1 reads a body RFC 9112 says is not there,
			* or skips what follows chunk data unread */
	const char *body_end; /* just after the last body bytes llhttp gave */
};

static int on_headers_complete(llhttp_t *p)
{
	struct counts *c = p->data;
	c->heads++;
	/* RFC 9112 6.3: a 1xx, 204 or 304 response ends at its blank line
	 * whatever its header fields say; llhttp 8.1 reads a body after one
	 * that announces one ("HTTP/1.1 100" or "104" with a
	 * Transfer-Encoding: it read to the end; make fuzz). 101 leaves HTTP. */
	int status = p->type == HTTP_RESPONSE ? llhttp_get_status_code(p) : 0;
	bool bodiless = status == 204 || status == 304 || (status / 100 == 1 && status != 101);
	if (bodiless && (p->flags & (F_CHUNKED | F_CONTENT_LENGTH | F_TRANSFER_ENCODING)))
		c->diverges = true;
	return 0;
}

static int on_message_complete(llhttp_t *p)
{
	struct counts *c = p->data;
	if (p->type == HTTP_REQUEST || llhttp_get_status_code(p) >= 200)
		c->finals++;
	if (!llhttp_should_keep_alive(p))
		c->closed = true;
	return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t length)
{
	struct counts *c = p->data;
	c->body_end = at + length;
	return 0;
}

/* RFC 9112 7.1: chunk data ends with CRLF (a bare LF tolerated, as
 * everywhere). llhttp 8.1 skips the two bytes after chunk data without
 * looking at them (found by make fuzz: "1\r\n" "\r" "\na" "bc\r\n" is a
 * chunk of 0xbc bytes for it; the tracker reads the LF as the end and
 * "abc" as the next size). Beyond such bytes the two are not comparable. */
static int on_chunk_complete(llhttp_t *p)
{
	struct counts *c = p->data;
	const char *end = c->body_end;
	if (end && !(end[0] == '\r' && end[1] == '\n'))
		c->diverges = true;
	c->body_end = NULL; /* the last chunk has no data */
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	if (size < 2)
		return 0;
	bool response = data[0] & 1;
	unsigned seed = data[0];
	const char *text = (const char *)data + 1;
	size_t len = size - 1;

	llhttp_settings_t settings;
	llhttp_settings_init(&settings);
	settings.on_headers_complete = on_headers_complete;
	settings.on_message_complete = on_message_complete;
	settings.on_body = on_body;
	settings.on_chunk_complete = on_chunk_complete;
	llhttp_t parser;
	llhttp_init(&parser, response ? HTTP_RESPONSE : HTTP_REQUEST, &settings);
	struct counts counts = {0};
	parser.data = &counts;

	struct lc_h1 h, whole;
	lc_h1_reset(&h);
	if (response) {
		/* 60 plain GETs read: the responses have requests to answer */
		static const char get[] = "GET / HTTP/1.1\r\n\r\n";
		for (int i = 0; i < 60; i++)
			lc_h1_read(&h, get, sizeof get - 1);
	}
	memcpy(&whole, &h, sizeof h);
	bool compare = true;
	size_t at = 0;
	while (at < len) {
		size_t piece = 1 + (size_t)rand_r(&seed) % 17;
		if (piece > len - at)
			piece = len - at;
		llhttp_errno_t err = llhttp_execute(&parser, text + at, piece);
		if (response)
			lc_h1_wrote(&h, text + at, piece, false, NULL, 0);
		else
			lc_h1_read(&h, text + at, piece);
		at += piece;
		if (err != HPE_OK || h.proto != LC_PROTO_HTTP1 || counts.closed || counts.diverges)
			compare = false; /* no longer both following the stream, or
					  * nothing after a message that ends it */
		int ours = response ? h.responses : h.requests;
		int theirs = response ? counts.finals : counts.heads;
		if (compare && ours != theirs)
			abort();
	}
	if (response)
		lc_h1_wrote(&whole, text, len, false, NULL, 0);
	else
		lc_h1_read(&whole, text, len);
	if (memcmp(&whole, &h, sizeof h) != 0)
		abort();
	return 0;
}
