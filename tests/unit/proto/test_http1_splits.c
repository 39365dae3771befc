/* HTTP/1.x framing does not depend on how the bytes were cut: a head split
 * at every byte, a response cut in 1,000 random ways, reach the state the
 * whole reaches. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http1.h"

static const char requests[] = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
			       "HEAD /b HTTP/1.1\r\nHost: x\r\n\r\n"
			       "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
			       "4\r\nbody\r\n0\r\nX-Trailer: 1\r\n\r\n"
			       "PUT /d HTTP/1.1\r\nConnection: Close\r\ncontent-length: 3\r\n\r\nabc";
static const char responses[] =
	"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
	"Connection: keep-alive\r\n\r\n"
	"7\r\ndata: 1\r\n10;name=value\r\n0123456789abcdef\r\n0\r\nTrailer: x\r\n\r\n"
	"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
	"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nCONTENT-LENGTH:  4 \r\n\r\ndone"
	"HTTP/1.1 204 No Content\r\nX: y\r\nconnection: close\r\n\r\n";

static void feed_whole(struct lc_h1 *h)
{
	lc_h1_reset(h);
	lc_h1_read(h, requests, sizeof requests - 1);
	lc_h1_wrote(h, responses, sizeof responses - 1, false, NULL, 0);
}

/* Feeds `text` in pieces ending at the given cut points (ascending). */
static void feed_cut(struct lc_h1 *h, const char *text, size_t len, const size_t *cuts, int n,
		     bool response)
{
	size_t at = 0;
	for (int i = 0; i <= n; i++) {
		size_t end = i < n ? cuts[i] : len;
		if (end < at)
			continue;
		if (response)
			lc_h1_wrote(h, text + at, end - at, false, NULL, 0);
		else
			lc_h1_read(h, text + at, end - at);
		at = end;
	}
}

static void whole_messages_are_all_answered(void **state)
{
	(void)state;
	struct lc_h1 h;
	feed_whole(&h);
	assert_int_equal(h.proto, LC_PROTO_HTTP1);
	assert_int_equal(h.requests, 4);
	assert_int_equal(h.responses, 4);
	/* the last response says Connection: close: nothing follows it */
	assert_int_equal(lc_h1_judge(&h), LC_H1_DONE);
}

static void split_at_every_byte_reaches_the_same_state(void **state)
{
	(void)state;
	struct lc_h1 whole, cut;
	feed_whole(&whole);
	for (size_t at = 0; at <= sizeof responses - 1; at++) {
		lc_h1_reset(&cut);
		feed_cut(&cut, requests, sizeof requests - 1, &at, at < sizeof requests ? 1 : 0, false);
		feed_cut(&cut, responses, sizeof responses - 1, &at, 1, true);
		assert_memory_equal(&whole, &cut, sizeof whole);
	}
}

static int compare_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return x < y ? -1 : x > y;
}

static void a_thousand_random_cuts_reach_the_same_state(void **state)
{
	(void)state;
	struct lc_h1 whole, cut;
	feed_whole(&whole);
	srand(42);
	for (int trial = 0; trial < 1000; trial++) {
		size_t cuts[40];
		int n = 1 + rand() % 39;
		for (int i = 0; i < n; i++)
			cuts[i] = (size_t)rand() % (sizeof responses);
		qsort(cuts, (size_t)n, sizeof cuts[0], compare_size);
		lc_h1_reset(&cut);
		size_t rcuts[40];
		for (int i = 0; i < n; i++)
			rcuts[i] = cuts[i] % sizeof requests;
		qsort(rcuts, (size_t)n, sizeof rcuts[0], compare_size);
		feed_cut(&cut, requests, sizeof requests - 1, rcuts, n, false);
		feed_cut(&cut, responses, sizeof responses - 1, cuts, n, true);
		assert_memory_equal(&whole, &cut, sizeof whole);
	}
}

/* Busy at every cut inside a response, between requests only at the
 * ends of responses. */
static void verdict_at_every_byte(void **state)
{
	(void)state;
	static const char one[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				  "3\r\nabc\r\n0\r\n\r\n";
	for (size_t at = 0; at < sizeof one - 1; at++) {
		struct lc_h1 h;
		lc_h1_reset(&h);
		lc_h1_read(&h, "GET / HTTP/1.1\r\n\r\n", 18);
		lc_h1_wrote(&h, one, at, false, NULL, 0);
		assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);
		lc_h1_wrote(&h, one + at, sizeof one - 1 - at, false, NULL, 0);
		assert_int_equal(lc_h1_judge(&h), LC_H1_BETWEEN);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(whole_messages_are_all_answered),
		cmocka_unit_test(split_at_every_byte_reaches_the_same_state),
		cmocka_unit_test(a_thousand_random_cuts_reach_the_same_state),
		cmocka_unit_test(verdict_at_every_byte),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
