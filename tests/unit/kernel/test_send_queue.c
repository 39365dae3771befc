/* Reply bytes still on their way after close, from sock_diag's view. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kernel/sockdiag.h"

enum { ESTABLISHED = 1, FIN_WAIT1 = 4, FIN_WAIT2 = 5, TIME_WAIT = 6, CLOSE = 7,
       CLOSE_WAIT = 8, LAST_ACK = 9, CLOSING = 11 };

static void open_socket_counts_every_byte(void **state)
{
	(void)state;
	assert_int_equal(lc_reply_bytes_unacked(ESTABLISHED, 0), 0);
	assert_int_equal(lc_reply_bytes_unacked(ESTABLISHED, 1), 1);
	assert_int_equal(lc_reply_bytes_unacked(CLOSE_WAIT, 300), 300);
}

static void fin_alone_is_delivered(void **state)
{
	(void)state;
	/* the peer's delayed ACK of our FIN must not hold the exit phase */
	assert_int_equal(lc_reply_bytes_unacked(FIN_WAIT1, 1), 0);
	assert_int_equal(lc_reply_bytes_unacked(CLOSING, 1), 0);
	assert_int_equal(lc_reply_bytes_unacked(LAST_ACK, 1), 0);
}

static void data_before_the_fin_is_still_leaving(void **state)
{
	(void)state;
	assert_int_equal(lc_reply_bytes_unacked(FIN_WAIT1, 4097), 4096);
	assert_int_equal(lc_reply_bytes_unacked(LAST_ACK, 2), 1);
}

static void finished_states_hold_nothing(void **state)
{
	(void)state;
	assert_int_equal(lc_reply_bytes_unacked(FIN_WAIT2, 0), 0);
	assert_int_equal(lc_reply_bytes_unacked(TIME_WAIT, 5), 0);
	assert_int_equal(lc_reply_bytes_unacked(CLOSE, 5), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open_socket_counts_every_byte),
		cmocka_unit_test(fin_alone_is_delivered),
		cmocka_unit_test(data_before_the_fin_is_still_leaving),
		cmocka_unit_test(finished_states_hold_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
