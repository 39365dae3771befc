/* WebSocket framing after a 101: a connection is between messages only at
 * a frame boundary outside a fragmented message, both ways, whatever the
 * cuts of the reads and writes; control frames between fragments change
 * nothing; 16- and 64-bit lengths; Close frames are noted; a client frame
 * without a mask, or a continuation with no message begun, is no
 * WebSocket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http1.h"
#include "../../proto_test.h"

static const char upgrade[] = "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
			      "Connection: Upgrade\r\nSec-WebSocket-Key: x\r\n\r\n";
static const char switching[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
				"Connection: Upgrade\r\n\r\n";

/* A frame: FIN/opcode byte, payload length, masked or not. */
static size_t ws_frame(unsigned char *out, uint8_t first, uint64_t len, bool masked)
{
	size_t n = 0;
	out[n++] = first;
	uint8_t mask = masked ? 0x80 : 0;
	if (len < 126) {
		out[n++] = (uint8_t)(mask | len);
	} else if (len < 65536) {
		out[n++] = mask | 126;
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
	} else {
		out[n++] = mask | 127;
		for (int i = 7; i >= 0; i--)
			out[n++] = (uint8_t)(len >> (8 * i));
	}
	if (masked)
		for (int i = 0; i < 4; i++)
			out[n++] = (uint8_t)(0x37 + i);
	memset(out + n, 0x81, (size_t)len); /* payload bytes that look like headers */
	return n + (size_t)len;
}

static void upgraded(struct lc_h1 *h)
{
	lc_h1_reset(h);
	lc_h1_read(h, upgrade, sizeof upgrade - 1);
	lc_h1_wrote(h, switching, sizeof switching - 1, false, NULL, 0);
	assert_int_equal(h->proto, LC_PROTO_WS);
}

static void feed(struct lc_h1 *h, const unsigned char *p, size_t n, bool from_client, unsigned seed)
{
	unsigned state = seed;
	feed_cut(h, p, n, from_client, seed ? &state : NULL, 13);
}

static unsigned char buf[200000];

static void messages_and_fragments_whatever_the_cuts(void **state)
{
	(void)state;
	for (unsigned seed = 0; seed < 300; seed++) {
		struct lc_h1 h;
		upgraded(&h);
		size_t n = 0;
		/* the program: a whole text message, then a fragmented one with a
		 * ping between its fragments, the last fragment not yet written */
		n += ws_frame(buf + n, 0x81, 5, false);
		n += ws_frame(buf + n, 0x01, 300, false);   /* text, not FIN */
		n += ws_frame(buf + n, 0x89, 4, false);	    /* ping between */
		n += ws_frame(buf + n, 0x00, 70000, false); /* continuation, 64-bit length */
		feed(&h, buf, n, false, seed);
		assert_int_equal(h.proto, LC_PROTO_WS);
		assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY); /* inside a message */
		n = ws_frame(buf, 0x80, 10, false);		    /* the last fragment */
		feed(&h, buf, n - 3, false, seed);
		assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY); /* inside a frame */
		feed(&h, buf + n - 3, 3, false, seed);
		assert_int_equal(lc_h1_judge(&h), LC_H1_WS_BETWEEN);

		/* the client: masked, a message in two fragments */
		n = ws_frame(buf, 0x02, 200, true);
		feed(&h, buf, n, true, seed);
		assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);
		n = ws_frame(buf, 0x80, 1000, true);
		feed(&h, buf, n, true, seed);
		assert_int_equal(h.proto, LC_PROTO_WS);
		assert_int_equal(lc_h1_judge(&h), LC_H1_WS_BETWEEN);
	}
}

static void close_frames_are_noted(void **state)
{
	(void)state;
	struct lc_h1 h;
	upgraded(&h);
	size_t n = ws_frame(buf, 0x88, 2, true); /* the client's Close */
	lc_h1_read(&h, (const char *)buf, n);
	assert_int_equal(h.last_close, 1);
	n = ws_frame(buf, 0x88, 2, false); /* the program's own */
	lc_h1_wrote(&h, (const char *)buf, n, false, NULL, 0);
	assert_int_equal(h.h2_goaway, LC_H2_GOAWAY_SENT);
}

static void what_is_not_websocket(void **state)
{
	(void)state;
	struct lc_h1 h;
	upgraded(&h);
	unsigned char continuation[16];
	size_t n = ws_frame(continuation, 0x80, 3, true); /* no message begun */
	lc_h1_read(&h, (const char *)continuation, n);
	assert_int_equal(h.proto, LC_PROTO_OTHER);

	/* h2c: the client preface after "Upgrade: h2c" is no frame */
	upgraded(&h);
	lc_h1_read(&h, LC_H2_PREFACE, LC_H2_PREFACE_LEN);
	assert_int_equal(h.proto, LC_PROTO_OTHER);

	/* frames written in the 101's own write are followed from there */
	lc_h1_reset(&h);
	lc_h1_read(&h, upgrade, sizeof upgrade - 1);
	char both[256];
	memcpy(both, switching, sizeof switching - 1);
	memcpy(both + sizeof switching - 1, "\x01\x02hi", 4); /* a first fragment */
	lc_h1_wrote(&h, both, sizeof switching - 1 + 4, false, NULL, 0);
	assert_int_equal(h.proto, LC_PROTO_WS);
	assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY); /* inside that message */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(messages_and_fragments_whatever_the_cuts),
		cmocka_unit_test(close_frames_are_noted),
		cmocka_unit_test(what_is_not_websocket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
