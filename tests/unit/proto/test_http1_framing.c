/* HTTP/1.x framing: where requests and responses end, what is HTTP. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "proto/http1.h"

static struct lc_h1 h;

static int setup(void **state)
{
	(void)state;
	lc_h1_reset(&h);
	return 0;
}

static void reads(const char *text)
{
	lc_h1_read(&h, text, strlen(text));
}

static void writes(const char *text)
{
	lc_h1_wrote(&h, text, strlen(text), false, NULL, 0);
}

#define GET "GET / HTTP/1.1\r\nHost: x\r\n\r\n"

static void content_length_response_ends_with_its_body(void **state)
{
	(void)state;
	reads(GET);
	assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY); /* waiting for its response */
	writes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234");
	assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);
	writes("56789");
	assert_int_equal(lc_h1_judge(&h), LC_H1_BETWEEN);
	assert_int_equal(h.responses, 1);
}

static void chunked_response_ends_after_its_trailers(void **state)
{
	(void)state;
	reads(GET);
	writes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	writes("5\r\nhello\r\n");
	writes("6;ext=1\r\n world\r\n");
	assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);
	assert_int_equal(h.chunks, 2);
	writes("0\r\n");
	assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);
	writes("Expires: never\r\n");
	assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);
	writes("\r\n");
	assert_int_equal(lc_h1_judge(&h), LC_H1_BETWEEN);
}

static void a_paused_stream_stays_busy(void **state)
{
	(void)state;
	reads(GET);
	const char *head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
			   "Transfer-Encoding: chunked\r\n\r\n";
	const char *chunk = "f\r\ndata: token 1\n\n\r\n";
	writes(head);
	for (int i = 0; i < 20; i++) {
		writes(chunk);
		assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);
	}
	char what[128], expected[128];
	lc_h1_describe(&h, what, sizeof what);
	snprintf(expected, sizeof expected,
		 "http/1.x: streaming chunked, 20 chunks, %zu B sent on the connection",
		 strlen(head) + 20 * strlen(chunk));
	assert_string_equal(what, expected);
}

static void head_304_and_204_have_no_body(void **state)
{
	(void)state;
	reads("HEAD / HTTP/1.1\r\n\r\n");
	writes("HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n");
	assert_int_equal(lc_h1_judge(&h), LC_H1_BETWEEN);
	reads(GET);
	writes("HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n");
	assert_int_equal(lc_h1_judge(&h), LC_H1_BETWEEN);
	reads(GET);
	writes("HTTP/1.1 204 No Content\r\n\r\n");
	assert_int_equal(lc_h1_judge(&h), LC_H1_BETWEEN);
	assert_int_equal(h.responses, 3);
}

static void interim_responses_do_not_answer(void **state)
{
	(void)state;
	reads("POST /up HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
	writes("HTTP/1.1 100 Continue\r\n\r\n");
	assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);
	reads("da");
	assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);
	reads("ta");
	writes("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(lc_h1_judge(&h), LC_H1_BETWEEN);
}

static void close_delimited_body_is_busy_until_close(void **state)
{
	(void)state;
	reads("GET / HTTP/1.0\r\n\r\n");
	writes("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nsome");
	writes(" more");
	assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);
}

static void connection_close_and_http10_are_done(void **state)
{
	(void)state;
	reads(GET);
	writes("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n");
	assert_int_equal(lc_h1_judge(&h), LC_H1_DONE);
	lc_h1_reset(&h);
	reads("GET / HTTP/1.0\r\n\r\n");
	writes("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok");
	assert_int_equal(lc_h1_judge(&h), LC_H1_DONE);
	lc_h1_reset(&h);
	reads("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	writes("HTTP/1.0 200 OK\r\nConnection: keep-alive, x\r\nContent-Length: 2\r\n\r\nok");
	assert_int_equal(lc_h1_judge(&h), LC_H1_BETWEEN);
}

static void pipelined_requests_wait_for_each_response(void **state)
{
	(void)state;
	reads("GET /a HTTP/1.1\r\n\r\nHEAD /b HTTP/1.1\r\n\r\nGET /c HT");
	assert_int_equal(h.requests, 2);
	writes("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na");
	assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);
	writes("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n"); /* HEAD: no body */
	assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);	     /* /c is partly read */
	reads("TP/1.1\r\n\r\n");
	writes("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nc");
	assert_int_equal(lc_h1_judge(&h), LC_H1_BETWEEN);
}

static void request_bodies_are_skipped_both_ways(void **state)
{
	(void)state;
	reads("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nGET /");
	assert_int_equal(h.requests, 1);
	reads("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
	assert_int_equal(h.requests, 2);
	assert_int_equal(h.req_busy, 0);
}

static void other_protocols_are_not_http(void **state)
{
	(void)state;
	static const char *const others[] = {
		"\x16\x03\x01\x02\x00",			   /* TLS ClientHello */
		"*1\r\n$4\r\nPING\r\n",			   /* Redis */
		"get key\r\n",				   /* memcached */
		"SET a b\r\n",				   /* Redis inline */
		"GET / HTTP/2.0\r\n\r\n",		   /* not 1.x */
	};
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
		lc_h1_reset(&h);
		reads(others[i]);
		assert_int_equal(lc_h1_judge(&h), LC_H1_NOT_HTTP);
		assert_int_equal(h.proto, LC_PROTO_OTHER);
	}
	/* A server that speaks first is followed as HTTP/2 frames in case
	 * (an HTTP/2 server's SETTINGS); its client's bytes decide. */
	lc_h1_reset(&h);
	writes("+OK server speaks first\r\n");
	assert_int_equal(lc_h1_judge(&h), LC_H1_NOT_HTTP);
	reads("PING\r\n");
	assert_int_equal(h.proto, LC_PROTO_OTHER);
	assert_int_equal(lc_h1_judge(&h), LC_H1_NOT_HTTP);
}

static void switching_protocols_leaves_http(void **state)
{
	(void)state;
	reads("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
	writes("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
	       "Connection: Upgrade\r\n\r\n");
	/* WebSocket from here (proto/ws.h, tests/unit/proto/test_ws_framing.c) */
	assert_int_equal(h.proto, LC_PROTO_WS);
	assert_int_equal(lc_h1_judge(&h), LC_H1_WS_BETWEEN);
	writes("\x81\x05hello");
	assert_int_equal(h.proto, LC_PROTO_WS);
	/* a client frame without a mask is no WebSocket: the kernel's view */
	reads("\x81\x02hi");
	assert_int_equal(h.proto, LC_PROTO_OTHER);
	assert_int_equal(lc_h1_judge(&h), LC_H1_NOT_HTTP);
}

static void chunked_is_only_the_last_coding(void **state)
{
	(void)state;
	reads(GET);
	writes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nabc");
	assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY); /* ends at close */
	lc_h1_reset(&h);
	reads(GET);
	writes("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip,  Chunked \r\nContent-Length: 3\r\n\r\n"
	       "0\r\n\r\n");
	assert_int_equal(lc_h1_judge(&h), LC_H1_BETWEEN); /* chunked wins */
}

static void bytes_seen_are_counted(void **state)
{
	(void)state;
	reads(GET);
	writes("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
	assert_int_equal(h.read_seen, strlen(GET));
	assert_int_equal(h.written_seen, 41);
	lc_h1_wrote_unseen(&h, 10); /* sendfile of a body nobody announced */
	assert_int_equal(h.proto, LC_PROTO_LOST);
	assert_int_equal(lc_h1_judge(&h), LC_H1_NOT_HTTP);
}

/* A GET read, then `text` written whole or byte by byte. */
static void answer(const char *text, bool bytewise)
{
	lc_h1_reset(&h);
	reads(GET);
	for (size_t i = 0; bytewise && text[i]; i++)
		lc_h1_wrote(&h, text + i, 1, false, NULL, 0);
	if (!bytewise)
		writes(text);
}

/* Obsolete line folding: a folded framing value ("Content-Length:" CRLF
 * " 5", which llhttp reads as 5) is not guessed at, whole or byte by
 * byte; a folded value of any other header is skipped as before. */
static void a_folded_framing_header_is_not_followed(void **state)
{
	(void)state;
	for (int bytewise = 0; bytewise <= 1; bytewise++) {
		answer("HTTP/1.1 200 OK\r\nContent-Length:\r\n 5\r\n\r\nhello", bytewise);
		assert_int_equal(h.proto, LC_PROTO_LOST);
		assert_int_equal(lc_h1_judge(&h), LC_H1_NOT_HTTP);
		answer("HTTP/1.1 200 OK\r\nX-Note: a\r\n b\r\nContent-Length: 5\r\n\r\nhello", bytewise);
		assert_int_equal(h.proto, LC_PROTO_HTTP1);
		assert_int_equal(lc_h1_judge(&h), LC_H1_BETWEEN);
	}
}

static void sendfile_body_is_followed(void **state)
{
	(void)state;
	reads(GET);
	writes("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
	lc_h1_wrote_unseen(&h, 600);
	assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);
	lc_h1_wrote_unseen(&h, 400);
	assert_int_equal(lc_h1_judge(&h), LC_H1_BETWEEN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(content_length_response_ends_with_its_body, setup),
		cmocka_unit_test_setup(chunked_response_ends_after_its_trailers, setup),
		cmocka_unit_test_setup(a_paused_stream_stays_busy, setup),
		cmocka_unit_test_setup(head_304_and_204_have_no_body, setup),
		cmocka_unit_test_setup(interim_responses_do_not_answer, setup),
		cmocka_unit_test_setup(close_delimited_body_is_busy_until_close, setup),
		cmocka_unit_test_setup(connection_close_and_http10_are_done, setup),
		cmocka_unit_test_setup(pipelined_requests_wait_for_each_response, setup),
		cmocka_unit_test_setup(request_bodies_are_skipped_both_ways, setup),
		cmocka_unit_test_setup(other_protocols_are_not_http, setup),
		cmocka_unit_test_setup(switching_protocols_leaves_http, setup),
		cmocka_unit_test_setup(chunked_is_only_the_last_coding, setup),
		cmocka_unit_test_setup(bytes_seen_are_counted, setup),
		cmocka_unit_test_setup(sendfile_body_is_followed, setup),
		cmocka_unit_test_setup(a_folded_framing_header_is_not_followed, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
