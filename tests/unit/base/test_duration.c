/* Durations: 1500ms, 2.5s, 30 (seconds), 1m; everything else refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/config.h"

static int64_t parse_ok(const char *text)
{
	struct lc_config_error err;
	int64_t ns = -1;
	assert_int_equal(lc_parse_duration(text, &ns, "--timeout", &err), 0);
	return ns;
}

static void accepts_every_documented_form(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("1500ms"), 1500000000LL);
	assert_int_equal(parse_ok("2.5s"), 2500000000LL);
	assert_int_equal(parse_ok("30"), 30000000000LL);
	assert_int_equal(parse_ok("1m"), 60000000000LL);
	assert_int_equal(parse_ok("0"), 0);
	assert_int_equal(parse_ok("0.25"), 250000000LL);
	assert_int_equal(parse_ok("1.5m"), 90000000000LL);
	assert_int_equal(parse_ok("2.5ms"), 2500000LL);
	assert_int_equal(parse_ok(".5s"), 500000000LL);
	assert_int_equal(parse_ok("1000000s"), LC_MAX_DURATION_NS);
	/* nine fraction digits of a minute: exact, and no overflow on the way
	 * (".1939499529m" was undefined behaviour, found by tests/fuzz) */
	assert_int_equal(parse_ok("0.999999999m"), 59999999940LL);
	assert_int_equal(parse_ok(".1939499529m"), 11636997120LL); /* 9 digits kept */
}

static void refuses_garbage_and_names_the_source(void **state)
{
	(void)state;
	const char *bad[] = {"", "abc", "-1", "-0.5s", "5 s", " 5", "5s ", "1h", "1e3", "1.5.2s",
			     "s", "ms", ".", "1000001s", "99999999999999999999", "2,5s", "0x10"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct lc_config_error err;
		int64_t ns = 42;
		assert_int_equal(lc_parse_duration(bad[i], &ns, "LASTCALL_DELAY", &err), -1);
		assert_int_equal(ns, 42); /* untouched */
		assert_non_null(strstr(err.message, "LASTCALL_DELAY"));
		assert_null(strchr(err.message, '\n'));
	}
}

static void echoes_the_bad_value(void **state)
{
	(void)state;
	struct lc_config_error err;
	int64_t ns;
	lc_parse_duration("forever", &ns, "--timeout", &err);
	assert_string_equal(err.message,
			    "--timeout: invalid duration \"forever\" (expected e.g. 1500ms, 2.5s, 30, 1m)");
	lc_parse_duration("-3", &ns, "--timeout", &err);
	assert_string_equal(err.message, "--timeout: negative duration \"-3\"");
}

static void formats_durations_for_humans(void **state)
{
	(void)state;
	char buf[32];
	assert_string_equal(lc_format_duration(25000000000LL, buf), "25s");
	assert_string_equal(lc_format_duration(1500000000LL, buf), "1.5s");
	assert_string_equal(lc_format_duration(250000000LL, buf), "250ms");
	assert_string_equal(lc_format_duration(1250000000LL, buf), "1.25s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_every_documented_form),
		cmocka_unit_test(refuses_garbage_and_names_the_source),
		cmocka_unit_test(echoes_the_bad_value),
		cmocka_unit_test(formats_durations_for_humans),
	};
	return cmocka_run_group_tests_name("duration", tests, NULL, NULL);
}
