/* HTTP/2 framing: a connection whose client sends the preface is followed
 * by its frames; streams open on the client's HEADERS and end on the
 * program's END_STREAM or a RST_STREAM either way; PING, SETTINGS,
 * WINDOW_UPDATE change nothing; the outcome does not depend on how reads
 * and writes were cut (every split of the conversation, random ones). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http1.h"
#include "../../proto_test.h"

/* frame header + payload */
static size_t frame(unsigned char *out, uint32_t len, uint8_t type, uint8_t flags, uint32_t stream)
{
	size_t head = h2_frame_header(out, len, type, flags, stream);
	memset(out + head, 0xA5, len); /* payload bytes that look like nothing in particular */
	return head + len;
}

enum { DATA = 0, HEADERS = 1, RST = 3, SETTINGS = 4, PING = 6, GOAWAY = 7, WINDOW_UPDATE = 8 };
#define END_STREAM 1
#define END_HEADERS 4

struct convo {
	unsigned char client[4096], server[4096];
	size_t nc, ns;
};

static void client_sends(struct convo *c, uint32_t len, uint8_t type, uint8_t flags, uint32_t id)
{
	c->nc += frame(c->client + c->nc, len, type, flags, id);
}

static void server_sends(struct convo *c, uint32_t len, uint8_t type, uint8_t flags, uint32_t id)
{
	c->ns += frame(c->server + c->ns, len, type, flags, id);
}

static void preface(struct convo *c)
{
	memcpy(c->client, LC_H2_PREFACE, LC_H2_PREFACE_LEN);
	c->nc = LC_H2_PREFACE_LEN;
	client_sends(c, 6, SETTINGS, 0, 0);
}

/* The client's bytes (`from_client`) or the program's, cut at random by
 * `seed` (0: whole). */
static void fed(struct lc_h1 *h, const unsigned char *p, size_t n, bool from_client, unsigned seed)
{
	unsigned state = seed;
	feed_cut(h, p, n, from_client, seed ? &state : NULL, from_client ? 17 : 23);
}

/* A connection whose client's preface and SETTINGS were read. */
static void connected(struct lc_h1 *h, struct convo *c)
{
	lc_h1_reset(h);
	memset(c, 0, sizeof *c);
	preface(c);
	lc_h1_read(h, (const char *)c->client, c->nc);
	c->nc = 0;
}

static void the_preface_makes_it_http2(void **state)
{
	(void)state;
	struct lc_h1 h;
	struct convo c;
	connected(&h, &c);
	assert_int_equal(h.proto, LC_PROTO_H2);
	assert_int_equal(lc_h1_judge(&h), LC_H1_DONE); /* no stream open */
}

static void streams_open_and_end_whatever_the_cuts(void **state)
{
	(void)state;
	for (unsigned seed = 0; seed < 500; seed++) {
		struct lc_h1 h;
		lc_h1_reset(&h);
		struct convo c = {0};
		/* an HTTP/2 server writes its SETTINGS before reading anything */
		server_sends(&c, 6, SETTINGS, 0, 0);
		fed(&h, c.server, c.ns, false, seed);
		c.ns = 0;
		preface(&c);
		client_sends(&c, 20, HEADERS, END_HEADERS, 1);		   /* stream 1 */
		client_sends(&c, 5, DATA, END_STREAM, 1);		   /* its request body */
		client_sends(&c, 20, HEADERS, END_HEADERS | END_STREAM, 3); /* stream 3 */
		client_sends(&c, 8, PING, 0, 0);
		client_sends(&c, 4, WINDOW_UPDATE, 0, 0);
		fed(&h, c.client, c.nc, true, seed);
		assert_int_equal(h.proto, LC_PROTO_H2);
		assert_int_equal(lc_h2_open_streams(&h.h2_open), 2);
		assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);

		server_sends(&c, 0, SETTINGS, 1, 0); /* ack */
		server_sends(&c, 8, PING, 1, 0);    /* pong */
		server_sends(&c, 10, HEADERS, END_HEADERS, 1);
		server_sends(&c, 300, DATA, 0, 1); /* a token, the stream goes on */
		server_sends(&c, 10, HEADERS, END_HEADERS, 3);
		server_sends(&c, 70, DATA, END_STREAM, 3); /* stream 3 done */
		fed(&h, c.server, c.ns, false, seed);
		assert_int_equal(lc_h2_open_streams(&h.h2_open), 1);
		assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);

		c.ns = 0;
		server_sends(&c, 40, DATA, 0, 1);
		server_sends(&c, 12, HEADERS, END_HEADERS | END_STREAM, 1); /* trailers */
		fed(&h, c.server, c.ns, false, seed);
		assert_int_equal(lc_h2_open_streams(&h.h2_open), 0);
		assert_int_equal(lc_h1_judge(&h), LC_H1_DONE);
	}
}

static void a_frame_half_written_is_busy(void **state)
{
	(void)state;
	struct lc_h1 h;
	struct convo c;
	connected(&h, &c);
	server_sends(&c, 100, DATA, 0, 0);
	lc_h1_wrote(&h, (const char *)c.server, 50, false, NULL, 0);
	assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);
	lc_h1_wrote(&h, (const char *)c.server + 50, c.ns - 50, false, NULL, 0);
	assert_int_equal(lc_h1_judge(&h), LC_H1_DONE);
}

static void a_reset_ends_a_stream_either_way(void **state)
{
	(void)state;
	struct lc_h1 h;
	struct convo c;
	connected(&h, &c);
	client_sends(&c, 20, HEADERS, END_HEADERS, 1);
	client_sends(&c, 20, HEADERS, END_HEADERS, 3);
	client_sends(&c, 4, RST, 0, 1); /* the client cancels stream 1 */
	lc_h1_read(&h, (const char *)c.client, c.nc);
	assert_int_equal(lc_h2_open_streams(&h.h2_open), 1);
	server_sends(&c, 4, RST, 0, 3); /* the program refuses stream 3 */
	server_sends(&c, 4, RST, 0, 1); /* and resets 1 again: counted once */
	lc_h1_wrote(&h, (const char *)c.server, c.ns, false, NULL, 0);
	assert_int_equal(lc_h2_open_streams(&h.h2_open), 0);
	assert_int_equal(lc_h1_judge(&h), LC_H1_DONE);
}

static void many_streams_over_time_fit_the_window(void **state)
{
	(void)state;
	struct lc_h1 h;
	struct convo c;
	connected(&h, &c);
	/* 1,000 streams one after another, two at a time open */
	for (uint32_t id = 1; id < 2000; id += 2) {
		c.nc = c.ns = 0;
		client_sends(&c, 3, HEADERS, END_HEADERS | END_STREAM, id);
		lc_h1_read(&h, (const char *)c.client, c.nc);
		if (id > 1) {
			server_sends(&c, 3, DATA, END_STREAM, id - 2);
			lc_h1_wrote(&h, (const char *)c.server, c.ns, false, NULL, 0);
		}
		assert_int_equal(lc_h2_open_streams(&h.h2_open), 1);
	}
	assert_int_equal(h.proto, LC_PROTO_H2);
	/* more than 32 apart at once: no longer followed */
	c.nc = 0;
	client_sends(&c, 3, HEADERS, END_HEADERS, 2001 + 2 * 40);
	lc_h1_read(&h, (const char *)c.client, c.nc);
	assert_int_equal(h.proto, LC_PROTO_LOST);
	assert_int_equal(lc_h1_judge(&h), LC_H1_NOT_HTTP);
}

static void the_programs_goaway_is_noted(void **state)
{
	(void)state;
	struct lc_h1 h;
	struct convo c;
	connected(&h, &c);
	server_sends(&c, 8, GOAWAY, 0, 0);
	lc_h1_wrote(&h, (const char *)c.server, c.ns, false, NULL, 0);
	assert_int_equal(h.h2_goaway, LC_H2_GOAWAY_SENT);
}

static void a_bad_preface_is_not_followed(void **state)
{
	(void)state;
	struct lc_h1 h;
	lc_h1_reset(&h);
	lc_h1_read(&h, "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", 24);
	assert_int_equal(h.proto, LC_PROTO_LOST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_preface_makes_it_http2),
		cmocka_unit_test(streams_open_and_end_whatever_the_cuts),
		cmocka_unit_test(a_frame_half_written_is_busy),
		cmocka_unit_test(a_reset_ends_a_stream_either_way),
		cmocka_unit_test(many_streams_over_time_fit_the_window),
		cmocka_unit_test(the_programs_goaway_is_noted),
		cmocka_unit_test(a_bad_preface_is_not_followed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
