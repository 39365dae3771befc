/* What a health request asks for, from the bytes received so far. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tell/health_request.h"

#define LIMIT 2047

static enum lc_health_route parse(const char *text, bool *head)
{
	return lc_health_parse(text, strlen(text), LIMIT, head);
}

static void the_three_paths(void **state)
{
	(void)state;
	bool head;
	assert_int_equal(parse("GET /ready HTTP/1.1\r\nHost: x\r\n\r\n", &head), LC_HEALTH_READY);
	assert_false(head);
	assert_int_equal(parse("GET /live HTTP/1.0\r\n\r\n", &head), LC_HEALTH_LIVE);
	assert_int_equal(parse("HEAD /status?verbose=1 HTTP/1.1\n\n", &head), LC_HEALTH_STATUS);
	assert_true(head);
	assert_int_equal(parse("GET /nope HTTP/1.1\r\n\r\n", &head), LC_HEALTH_NOT_FOUND);
}

static void incomplete_until_the_blank_line(void **state)
{
	(void)state;
	bool head;
	assert_int_equal(parse("", &head), LC_HEALTH_INCOMPLETE);
	assert_int_equal(parse("GET /ready HTTP/1.1\r\n", &head), LC_HEALTH_INCOMPLETE);
	assert_int_equal(parse("GET /ready HTTP/1.1\r\nHost: x\r\n", &head), LC_HEALTH_INCOMPLETE);
}

static void malformed_request_lines_are_bad(void **state)
{
	(void)state;
	bool head;
	assert_int_equal(parse("garbage\r\n\r\n", &head), LC_HEALTH_BAD);
	assert_int_equal(parse("POST /ready HTTP/1.1\r\n\r\n", &head), LC_HEALTH_BAD);
	assert_int_equal(parse("GET /ready FTP/9\r\n\r\n", &head), LC_HEALTH_BAD);
	assert_int_equal(parse("GET /ready HTTP/1.1 extra\r\n\r\n", &head), LC_HEALTH_BAD);
	assert_int_equal(parse("GETTTTTTT /ready HTTP/1.1\r\n\r\n", &head), LC_HEALTH_BAD);
	assert_int_equal(parse("\r\n\r\n", &head), LC_HEALTH_BAD);
	char longpath[300] = "GET /";
	memset(longpath + 5, 'a', 200);
	strcpy(longpath + 205, " HTTP/1.1\r\n\r\n");
	assert_int_equal(parse(longpath, &head), LC_HEALTH_BAD);
}

static void a_nul_byte_is_bad_at_once(void **state)
{
	(void)state;
	bool head;
	assert_int_equal(lc_health_parse("GET /re\0ady", 11, LIMIT, &head), LC_HEALTH_BAD);
}

static void too_large_once_the_buffer_is_full(void **state)
{
	(void)state;
	bool head;
	static char big[LIMIT];
	memset(big, 'a', sizeof big);
	assert_int_equal(lc_health_parse(big, LIMIT - 1, LIMIT, &head), LC_HEALTH_INCOMPLETE);
	assert_int_equal(lc_health_parse(big, LIMIT, LIMIT, &head), LC_HEALTH_TOO_LARGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_three_paths),
		cmocka_unit_test(incomplete_until_the_blank_line),
		cmocka_unit_test(malformed_request_lines_are_bad),
		cmocka_unit_test(a_nul_byte_is_bad_at_once),
		cmocka_unit_test(too_large_once_the_buffer_is_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
