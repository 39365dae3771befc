/* A request target is judged alike however the request was read: whole (the
 * request line checked eight bytes at a time) and byte by byte (the byte
 * machine), for every byte value a target can hold or must not, at every
 * position of targets 1 to 24 bytes long (after the '/': one word, less,
 * more, overlapping the last). The eight-byte check alone agrees with the
 * byte rule at every length from 0 to 40, so it refuses nothing good
 * either (a refusal would only send the request to the byte machine). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "proto/http1.h"

/* Bytes the byte machine refuses in a target: controls, space, DEL. */
static bool refused(unsigned char c)
{
	return c <= ' ' || c == 0x7f;
}

static size_t request_with(char *out, size_t len, size_t at, unsigned char c)
{
	size_t n = 5;
	memcpy(out, "GET /", 5);
	for (size_t i = 0; i < len; i++)
		out[n++] = i == at ? (char)c : (char)('a' + i % 26);
	static const char rest[] = " HTTP/1.1\r\nHost: x\r\n\r\n";
	memcpy(out + n, rest, sizeof rest - 1);
	return n + sizeof rest - 1;
}

static void every_byte_at_every_position(void **state)
{
	(void)state;
	char req[128];
	int refusals = 0, checked = 0;
	for (size_t len = 1; len <= 24; len++)
		for (size_t at = 0; at < len; at++)
			for (unsigned c = 0; c < 256; c++) {
				size_t n = request_with(req, len, at, (unsigned char)c);
				struct lc_h1 whole, bytewise;
				lc_h1_reset(&whole);
				lc_h1_read(&whole, req, n);
				lc_h1_reset(&bytewise);
				for (size_t i = 0; i < n; i++)
					lc_h1_read(&bytewise, req + i, 1);
				bool http = whole.proto == LC_PROTO_HTTP1;
				if (http != !refused((unsigned char)c) ||
				    whole.proto != bytewise.proto ||
				    whole.requests != bytewise.requests)
					fail_msg("target of %zu, byte 0x%02x at %zu: proto %d / %d", len, c,
						 at, whole.proto, bytewise.proto);
				refusals += !http;
				checked++;
			}
	/* 34 refused values at each of the 300 positions */
	assert_int_equal(refusals, 34 * 300);
	assert_int_equal(checked, 256 * 300);
}

static void the_word_check_is_the_byte_rule(void **state)
{
	(void)state;
	char target[48];
	for (size_t len = 0; len <= 40; len++)
		for (size_t at = 0; at < (len ? len : 1); at++)
			for (unsigned c = 0; c < 256; c++) {
				/* one byte set in a run of good ones, and past the
				 * end a space, which must not be looked at */
				memset(target, 'a', sizeof target);
				target[len] = ' ';
				if (len)
					target[at] = (char)c;
				bool want = len == 0 || !refused((unsigned char)c);
				if (lc_h1_target_ok(target, target + len) != want)
					fail_msg("%zu bytes, 0x%02x at %zu: not %d", len, c, at, want);
			}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_byte_at_every_position),
		cmocka_unit_test(the_word_check_is_the_byte_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
