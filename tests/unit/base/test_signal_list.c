/* Signal lists: names with or without SIG, any case, numbers; KILL, STOP,
 * fault signals and glibc's reserved ones refused. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "base/config.h"

static void parses_names_numbers_and_prefixes(void **state)
{
	(void)state;
	struct lc_config_error err;
	sigset_t set;
	assert_int_equal(lc_parse_signal_list("TERM,SIGINT,hup,10,sigusr2", &set, "-s", &err), 0);
	assert_int_equal(sigismember(&set, SIGTERM), 1);
	assert_int_equal(sigismember(&set, SIGINT), 1);
	assert_int_equal(sigismember(&set, SIGHUP), 1);
	assert_int_equal(sigismember(&set, SIGUSR1), 1);
	assert_int_equal(sigismember(&set, SIGUSR2), 1);
	assert_int_equal(sigismember(&set, SIGQUIT), 0);
	assert_int_equal(lc_parse_signal_list("RTMIN", &set, "-s", &err), -1);
	char number[16];
	snprintf(number, sizeof number, "%d", SIGRTMIN + 1);
	assert_int_equal(lc_parse_signal_list(number, &set, "-s", &err), 0);
}

static void refuses_uncatchable_faults_reserved_and_unknown(void **state)
{
	(void)state;
	const char *bad[] = {"KILL", "SIGSTOP", "9", "19", "SEGV", "BUS", "ILL", "FPE", "TRAP", "SYS",
			     "32", "33", "0", "65", "-15", "BOGUS", "TERM,", ",TERM", "TERM,,INT", "",
			     "TERM INT", "15x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct lc_config_error err;
		sigset_t set;
		assert_int_equal(lc_parse_signal_list(bad[i], &set, "LASTCALL_SIGNALS", &err), -1);
		assert_non_null(strstr(err.message, "LASTCALL_SIGNALS"));
	}
}

static void names_signals_for_logs(void **state)
{
	(void)state;
	char buf[16];
	assert_string_equal(lc_signal_name(SIGTERM, buf), "SIGTERM");
	assert_string_equal(lc_signal_name(SIGINT, buf), "SIGINT");
	assert_string_equal(lc_signal_name(40, buf), "SIG40");
	assert_int_equal(lc_signal_from_name("sigterm"), SIGTERM);
	assert_int_equal(lc_signal_from_name("nope"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parses_names_numbers_and_prefixes),
		cmocka_unit_test(refuses_uncatchable_faults_reserved_and_unknown),
		cmocka_unit_test(names_signals_for_logs),
	};
	return cmocka_run_group_tests_name("signal_list", tests, NULL, NULL);
}
