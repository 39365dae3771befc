/* Lengths are followed to 40 bits (proto/http1.h: LC_H1_LEFT_MAX): a
 * Content-Length, a chunk or a WebSocket frame of 1 TiB or more is not
 * followed — the connection is judged from the kernel's view, as one the
 * tracker cannot parse — and one just under it is followed to its end,
 * whether its head came whole or a byte at a time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "proto/http1.h"
#include "../../proto_test.h"

#define GET "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
#define TIB (1ULL << 40)

/* A GET, then a response head with Content-Length `length`, written whole
 * or a byte at a time. */
static void head_with(struct lc_h1 *h, unsigned long long length, bool bytewise)
{
	char head[160];
	int n = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %llu\r\n\r\n",
			 length);
	lc_h1_reset(h);
	lc_h1_read(h, GET, strlen(GET));
	unsigned seed = 1;
	feed_cut(h, head, (size_t)n, false, bytewise ? &seed : NULL, 1);
}

/* The body's bytes, as sendfile reports them: counted, not looked at. */
static void body_of(struct lc_h1 *h, uint64_t n)
{
	lc_h1_wrote_unseen(h, n);
}

static void a_body_under_a_tebibyte_is_followed_to_its_end(void **state)
{
	(void)state;
	for (int bytewise = 0; bytewise <= 1; bytewise++) {
		struct lc_h1 h;
		head_with(&h, TIB - 1, bytewise);
		assert_int_equal(h.proto, LC_PROTO_HTTP1);
		assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);
		body_of(&h, TIB - 2);
		assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);
		body_of(&h, 1);
		assert_int_equal(lc_h1_judge(&h), LC_H1_BETWEEN);
		assert_int_equal(h.responses, 1);
	}
}

static void a_body_of_a_tebibyte_is_not_followed(void **state)
{
	(void)state;
	for (int bytewise = 0; bytewise <= 1; bytewise++) {
		struct lc_h1 h;
		head_with(&h, TIB, bytewise);
		assert_int_equal(h.proto, LC_PROTO_LOST);
		assert_int_equal(lc_h1_judge(&h), LC_H1_NOT_HTTP);
	}
}

static void chunks_follow_the_same_limit(void **state)
{
	(void)state;
	struct lc_h1 h;
	lc_h1_reset(&h);
	lc_h1_read(&h, GET, strlen(GET));
	const char *head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	lc_h1_wrote(&h, head, strlen(head), false, NULL, 0);
	char size[32];
	int n = snprintf(size, sizeof size, "%llx\r\n", TIB - 1);
	lc_h1_wrote(&h, size, (size_t)n, false, NULL, 0);
	assert_int_equal(h.proto, LC_PROTO_HTTP1);
	body_of(&h, TIB - 1);
	lc_h1_wrote(&h, "\r\n0\r\n\r\n", 7, false, NULL, 0);
	assert_int_equal(lc_h1_judge(&h), LC_H1_BETWEEN);

	lc_h1_read(&h, GET, strlen(GET));
	lc_h1_wrote(&h, head, strlen(head), false, NULL, 0);
	n = snprintf(size, sizeof size, "%llx\r\n", TIB);
	lc_h1_wrote(&h, size, (size_t)n, false, NULL, 0);
	assert_int_equal(h.proto, LC_PROTO_LOST);
}

static void a_websocket_frame_of_a_tebibyte_is_not_followed(void **state)
{
	(void)state;
	static const char upgrade[] = "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\n"
				      "Connection: Upgrade\r\n\r\n";
	static const char switching[] = "HTTP/1.1 101 Switching Protocols\r\n"
					"Upgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
	for (uint64_t len = TIB - 1; len <= TIB; len++) {
		struct lc_h1 h;
		lc_h1_reset(&h);
		lc_h1_read(&h, upgrade, sizeof upgrade - 1);
		lc_h1_wrote(&h, switching, sizeof switching - 1, false, NULL, 0);
		unsigned char frame[10] = {0x82, 127};
		for (int i = 0; i < 8; i++)
			frame[2 + i] = (unsigned char)(len >> (8 * (7 - i)));
		lc_h1_wrote(&h, (const char *)frame, sizeof frame, false, NULL, 0);
		if (len < TIB) {
			assert_int_equal(h.proto, LC_PROTO_WS);
			assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY); /* inside the frame */
		} else {
			assert_int_equal(h.proto, LC_PROTO_OTHER);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_body_under_a_tebibyte_is_followed_to_its_end),
		cmocka_unit_test(a_body_of_a_tebibyte_is_not_followed),
		cmocka_unit_test(chunks_follow_the_same_limit),
		cmocka_unit_test(a_websocket_frame_of_a_tebibyte_is_not_followed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
