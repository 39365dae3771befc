/* Idle or busy, from kernel TCP state alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "judge/idle.h"

#define S 1000000000LL

static struct lc_conn_probe answered(void)
{
	/* a request, then its reply 3 ms later, acknowledged */
	struct lc_conn_probe p = {.tcp = true, .bytes_received = 80, .bytes_sent = 200,
				  .ms_since_data_recv = 503, .ms_since_data_sent = 500,
				  .ms_since_ack_recv = 500};
	return p;
}

static void reply_last_and_nothing_queued_is_idle(void **state)
{
	(void)state;
	struct lc_conn_probe p = answered();
	assert_int_equal(lc_classify(&p, NULL, 10 * S, LC_REPLY_QUIET_MS), LC_IDLE);
}

static void queued_bytes_either_way_are_busy(void **state)
{
	(void)state;
	struct lc_conn_probe p = answered();
	p.unread = 1;
	assert_int_equal(lc_classify(&p, NULL, 10 * S, LC_REPLY_QUIET_MS), LC_BUSY);
	p = answered();
	p.unsent = 4096;
	assert_int_equal(lc_classify(&p, NULL, 10 * S, LC_REPLY_QUIET_MS), LC_BUSY);
}

static void request_after_reply_is_busy(void **state)
{
	(void)state;
	struct lc_conn_probe p = answered();
	p.ms_since_data_recv = 20; /* the program read a new request */
	assert_int_equal(lc_classify(&p, NULL, 10 * S, LC_REPLY_QUIET_MS), LC_BUSY);
}

static void silent_new_connection_is_busy_for_two_seconds(void **state)
{
	(void)state;
	struct lc_conn_probe p = {.tcp = true};
	assert_int_equal(lc_classify(&p, NULL, 1 * S, LC_REPLY_QUIET_MS), LC_BUSY);
	assert_int_equal(lc_classify(&p, NULL, 2 * S, LC_REPLY_QUIET_MS), LC_IDLE);
}

static void asked_never_answered_is_busy_even_on_a_tie(void **state)
{
	(void)state;
	/* never sent: TCP's last-send stamp is the accept time */
	struct lc_conn_probe p = {.tcp = true, .bytes_received = 80, .ms_since_data_recv = 900,
				  .ms_since_data_sent = 900, .ms_since_ack_recv = 900};
	assert_int_equal(lc_classify(&p, NULL, 10 * S, LC_REPLY_QUIET_MS), LC_BUSY);
}

static void ties_are_decided_by_counters_then_acks_then_quiet(void **state)
{
	(void)state;
	struct lc_conn_probe p = answered();
	p.ms_since_data_recv = p.ms_since_data_sent = p.ms_since_ack_recv = 100;
	assert_int_equal(lc_classify(&p, NULL, 10 * S, LC_REPLY_QUIET_MS), LC_BUSY); /* undecided yet */
	struct lc_conn_history h = {.seen = true, .bytes_received = 80, .bytes_sent = 100};
	assert_int_equal(lc_classify(&p, &h, 10 * S, LC_REPLY_QUIET_MS), LC_IDLE); /* answered since */
	h.bytes_received = 40;
	h.bytes_sent = 200;
	assert_int_equal(lc_classify(&p, &h, 10 * S, LC_REPLY_QUIET_MS), LC_BUSY); /* asked since */
	p.ms_since_ack_recv = 50; /* the client acknowledged our reply later */
	assert_int_equal(lc_classify(&p, NULL, 10 * S, LC_REPLY_QUIET_MS), LC_IDLE);
	p.ms_since_ack_recv = 100;
	p.ms_since_data_recv = p.ms_since_data_sent = LC_TIE_QUIET_MS;
	assert_int_equal(lc_classify(&p, NULL, 10 * S, LC_REPLY_QUIET_MS), LC_IDLE);
}

static void a_reply_just_sent_may_have_more_parts(void **state)
{
	(void)state;
	/* the header of a slow reply went out 1 ms ago, its body has not yet */
	struct lc_conn_probe p = answered();
	p.ms_since_data_recv = 800;
	p.ms_since_data_sent = p.ms_since_ack_recv = 1;
	struct lc_conn_history h = {.seen = true, .bytes_received = 80, .bytes_sent = 0};
	assert_int_equal(lc_classify(&p, &h, 10 * S, LC_REPLY_QUIET_MS), LC_BUSY);
	assert_int_equal(lc_classify(&p, NULL, 10 * S, LC_REPLY_QUIET_MS), LC_BUSY);
	p.ms_since_data_sent = p.ms_since_ack_recv = LC_REPLY_QUIET_MS;
	assert_int_equal(lc_classify(&p, &h, 10 * S, LC_REPLY_QUIET_MS), LC_IDLE);
}

static void a_stream_between_two_writes_is_busy_for_a_program_that_asks(void **state)
{
	(void)state;
	/* a token went out 100 ms ago; the next one is due */
	struct lc_conn_probe p = answered();
	p.ms_since_data_recv = 900;
	p.ms_since_data_sent = p.ms_since_ack_recv = 100;
	assert_int_equal(lc_classify(&p, NULL, 10 * S, LC_REPLY_QUIET_MS), LC_IDLE);
	assert_int_equal(lc_classify(&p, NULL, 10 * S, LC_STREAM_QUIET_MS), LC_BUSY);
	p.ms_since_data_sent = p.ms_since_ack_recv = LC_STREAM_QUIET_MS;
	assert_int_equal(lc_classify(&p, NULL, 10 * S, LC_STREAM_QUIET_MS), LC_IDLE);
}

static void non_tcp_uses_queues_and_grace_only(void **state)
{
	(void)state;
	struct lc_conn_probe p = {.tcp = false};
	assert_int_equal(lc_classify(&p, NULL, 1 * S, LC_REPLY_QUIET_MS), LC_BUSY);
	assert_int_equal(lc_classify(&p, NULL, 3 * S, LC_REPLY_QUIET_MS), LC_IDLE);
	p.unread = 5;
	assert_int_equal(lc_classify(&p, NULL, 3 * S, LC_REPLY_QUIET_MS), LC_BUSY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reply_last_and_nothing_queued_is_idle),
		cmocka_unit_test(queued_bytes_either_way_are_busy),
		cmocka_unit_test(request_after_reply_is_busy),
		cmocka_unit_test(silent_new_connection_is_busy_for_two_seconds),
		cmocka_unit_test(asked_never_answered_is_busy_even_on_a_tie),
		cmocka_unit_test(ties_are_decided_by_counters_then_acks_then_quiet),
		cmocka_unit_test(a_reply_just_sent_may_have_more_parts),
		cmocka_unit_test(a_stream_between_two_writes_is_busy_for_a_program_that_asks),
		cmocka_unit_test(non_tcp_uses_queues_and_grace_only),
	};
	return cmocka_run_group_tests_name("idle", tests, NULL, NULL);
}
