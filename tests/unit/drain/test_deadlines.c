/* Deadline arithmetic: phases measured from the signal; the wait budget
 * is the earliest of deadline, next check and tick. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/config.h"
#include "drain/drain.h"

#define S 1000000000LL
#define MS 1000000LL

static void deadlines_count_from_the_signal(void **state)
{
	(void)state;
	struct lc_config cfg;
	lc_config_defaults(&cfg);
	cfg.delay_ns = 3 * S;
	cfg.drain_timeout_ns = 20 * S;
	struct lc_deadlines d = lc_deadlines_from(&cfg, 100 * S);
	assert_int_equal(d.delay_end_ns, 103 * S);
	assert_int_equal(d.drain_ns, 120 * S); /* the delay counts against it */
	assert_int_equal(d.total_ns, 125 * S);
}

static void budget_is_the_earliest_limit(void **state)
{
	(void)state;
	assert_int_equal(lc_wait_budget(0, 5 * S, 0, 0), 5 * S);
	assert_int_equal(lc_wait_budget(0, 5 * S, 2 * S, 0), 2 * S);
	assert_int_equal(lc_wait_budget(0, 5 * S, 2 * S, 10 * MS), 10 * MS);
	assert_int_equal(lc_wait_budget(0, -1, 0, 0), -1);
	assert_int_equal(lc_wait_budget(0, -1, 0, 10 * MS), 10 * MS);
	assert_int_equal(lc_wait_budget(0, -1, 3 * S, 0), 3 * S);
}

static void a_passed_deadline_gives_zero_not_negative(void **state)
{
	(void)state;
	assert_int_equal(lc_wait_budget(10 * S, 5 * S, 0, 0), 0);
	assert_int_equal(lc_wait_budget(10 * S, 20 * S, 9 * S, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(deadlines_count_from_the_signal),
		cmocka_unit_test(budget_is_the_earliest_limit),
		cmocka_unit_test(a_passed_deadline_gives_zero_not_negative),
	};
	return cmocka_run_group_tests_name("deadlines", tests, NULL, NULL);
}
