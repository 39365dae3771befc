/* HTTP/2 by upgrade (RFC 7540 3.2, "Upgrade: h2c"): a 101 whose Upgrade
 * says h2c switches the connection to HTTP/2 with stream 1 (the upgrade
 * request) open until the program ends it, whatever the cuts of the
 * reads and writes and wherever the 101's head ends; the header's name
 * and token in any case; a 101 to anything else stays WebSocket's; and
 * lastcall's GOAWAY goes after the program's SETTINGS, never before. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http1.h"
#include "proto/http1_send.h"
#include "../../proto_test.h"

static const char request[] = "GET /tokens HTTP/1.1\r\nHost: 127.0.0.1\r\n"
			      "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
			      "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n";
static const char switching[] = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
				"Upgrade: h2c\r\n\r\n";

enum { SETTINGS = 0x4, HEADERS = 0x1, DATA = 0x0, RST_STREAM = 0x3 };

static size_t frame(unsigned char *out, uint32_t len, uint8_t type, uint8_t flags, uint32_t stream)
{
	size_t head = h2_frame_header(out, len, type, flags, stream);
	memset(out + head, 0, len);
	return head + len;
}

/* What the program writes after the 101: SETTINGS, then stream 1's
 * answer (HEADERS, three DATA, the last with END_STREAM). `end_at`: the
 * end of each frame. */
static size_t program_frames(unsigned char *out, size_t *end_at)
{
	size_t n = 0;
	int f = 0;
	n += frame(out + n, 12, SETTINGS, 0, 0), end_at[f++] = n;
	n += frame(out + n, 30, HEADERS, 0x4, 1), end_at[f++] = n;
	n += frame(out + n, 700, DATA, 0, 1), end_at[f++] = n;
	n += frame(out + n, 70, DATA, 0, 1), end_at[f++] = n;
	n += frame(out + n, 9, DATA, 0x1, 1), end_at[f++] = n;
	return n;
}

/* The client's bytes after the 101: the preface, its SETTINGS and the
 * SETTINGS ack. */
static size_t client_bytes(unsigned char *out)
{
	memcpy(out, LC_H2_PREFACE, LC_H2_PREFACE_LEN);
	size_t n = LC_H2_PREFACE_LEN;
	n += frame(out + n, 18, SETTINGS, 0, 0);
	n += frame(out + n, 0, SETTINGS, 0x1, 0);
	return n;
}

static void the_101_to_h2c_opens_stream_1_until_the_program_ends_it(void **state)
{
	(void)state;
	unsigned char frames[2048], client[128];
	size_t ends[5];
	size_t n = program_frames(frames, ends);
	size_t nc = client_bytes(client);
	/* The 101 and what follows it as one write stream, cut at random:
	 * the head may end inside a write that carries the first frames. */
	unsigned char out[4096];
	size_t head = sizeof switching - 1;
	memcpy(out, switching, head);
	memcpy(out + head, frames, n);
	for (unsigned seed = 0; seed <= 500; seed++) {
		struct lc_h1 h;
		unsigned cuts = seed;
		lc_h1_reset(&h);
		feed_cut(&h, request, sizeof request - 1, true, seed ? &cuts : NULL, 11);
		assert_int_equal(h.proto, LC_PROTO_HTTP1);
		assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY); /* waiting for its response */
		/* through the 101, its SETTINGS and the answer's HEADERS */
		feed_cut(&h, out, head + ends[1], false, seed ? &cuts : NULL, 97);
		assert_int_equal(h.proto, LC_PROTO_H2);
		assert_int_equal(lc_h2_open_streams(&h.h2_open), 1);
		feed_cut(&h, client, nc, true, seed ? &cuts : NULL, 7);
		assert_int_equal(h.proto, LC_PROTO_H2);
		assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);
		char words[96];
		lc_h1_describe(&h, words, sizeof words);
		assert_string_equal(words, "h2: 1 open stream");
		/* the body, up to the last DATA's last byte */
		feed_cut(&h, out + head + ends[1], n - ends[1] - 1, false, seed ? &cuts : NULL, 97);
		assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);
		lc_h1_wrote(&h, (const char *)out + head + n - 1, 1, false, NULL, 0);
		assert_int_equal(lc_h2_open_streams(&h.h2_open), 0);
		assert_int_equal(lc_h1_judge(&h), LC_H1_DONE);
	}
}

static void a_reset_ends_stream_1_too(void **state)
{
	(void)state;
	unsigned char rst[16];
	size_t n = frame(rst, 4, RST_STREAM, 0, 1);
	struct lc_h1 h;
	lc_h1_reset(&h);
	lc_h1_read(&h, request, sizeof request - 1);
	lc_h1_wrote(&h, switching, sizeof switching - 1, false, NULL, 0);
	assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);
	lc_h1_read(&h, LC_H2_PREFACE, LC_H2_PREFACE_LEN);
	lc_h1_read(&h, (const char *)rst, n); /* the client gives up on it */
	assert_int_equal(lc_h1_judge(&h), LC_H1_DONE);
}

/* The 101's Upgrade header decides, in any case and with any white
 * space; a value that is not exactly the token h2c is WebSocket's
 * (whose tracker then checks the frames). */
static void the_upgrade_token_decides(void **state)
{
	(void)state;
	static const struct {
		const char *header;
		enum lc_proto proto;
	} cases[] = {
		{"Upgrade: h2c", LC_PROTO_H2},
		{"UPGRADE:H2C", LC_PROTO_H2},
		{"upgrade: \th2c \t", LC_PROTO_H2},
		{"Upgrade: websocket", LC_PROTO_WS},
		{"Upgrade: h2", LC_PROTO_WS},
		{"Upgrade: h2cx", LC_PROTO_WS},
		{"Upgrade-Insecure-Requests: h2c", LC_PROTO_WS},
		{"X-Upgrade: h2c", LC_PROTO_WS},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char head[256];
		int len = snprintf(head, sizeof head,
				   "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n%s\r\n\r\n",
				   cases[i].header);
		/* whole (the line-by-line path) and byte by byte (the machine) */
		for (int bytewise = 0; bytewise <= 1; bytewise++) {
			struct lc_h1 h;
			lc_h1_reset(&h);
			lc_h1_read(&h, request, sizeof request - 1);
			if (bytewise)
				for (int b = 0; b < len; b++)
					lc_h1_wrote(&h, head + b, 1, false, NULL, 0);
			else
				lc_h1_wrote(&h, head, (size_t)len, false, NULL, 0);
			if (h.proto != cases[i].proto)
				fail_msg("\"%s\" (%s): proto %d, not %d", cases[i].header,
					 bytewise ? "byte by byte" : "whole", h.proto, cases[i].proto);
		}
	}
}

/* From the signal on, the first write after the 101 (the program's
 * SETTINGS with the answer's HEADERS) gets the GOAWAY after the
 * SETTINGS, under partial counts and EAGAIN; the program is told only
 * its own bytes. */
static void goaway_follows_the_programs_settings(void **state)
{
	(void)state;
	unsigned char frames[2048];
	size_t ends[5];
	size_t n = program_frames(frames, ends);
	for (unsigned seed = 1; seed <= 300; seed++) {
		struct lc_h1 h;
		struct fake_kernel k = {.seed = seed, .max = seed % 4 == 0 ? 0 : 1 + seed % 23,
					.eagain_one_in = 4};
		lc_h1_reset(&h);
		lc_h1_read(&h, request, sizeof request - 1);
		lc_h1_wrote(&h, switching, sizeof switching - 1, false, NULL, 0);
		size_t done = 0;
		for (int calls = 0; done < n && calls < 100000; calls++) {
			struct iovec v = {.iov_base = frames + done, .iov_len = n - done};
			ssize_t r = lc_h1_send(&h, &v, 1, true, fake_send, &k);
			if (r > 0) {
				assert_true((size_t)r <= n - done);
				done += (size_t)r;
			} else {
				assert_true(r == 0 || errno == EAGAIN);
			}
		}
		assert_int_equal(done, n);
		assert_int_equal(k.len, n + LC_H2_GOAWAY_LEN);
		assert_memory_equal(k.received, frames, ends[0]);
		assert_memory_equal(k.received + ends[0], lc_h2_goaway, LC_H2_GOAWAY_LEN);
		assert_memory_equal(k.received + ends[0] + LC_H2_GOAWAY_LEN, frames + ends[0],
				    n - ends[0]);
		assert_int_equal(h.written_seen, sizeof switching - 1 + k.len);
		assert_int_equal(lc_h1_judge(&h), LC_H1_DONE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_101_to_h2c_opens_stream_1_until_the_program_ends_it),
		cmocka_unit_test(a_reset_ends_stream_1_too),
		cmocka_unit_test(the_upgrade_token_decides),
		cmocka_unit_test(goaway_follows_the_programs_settings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
