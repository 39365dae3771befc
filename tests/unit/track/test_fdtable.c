/* The connection table: O(1) entries by fd, the live entries, aliases from
 * dup, closes in ranges, and stale entries dropped only if unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "track/fdtable.h"
#include "table_test.h"

static void tracks_and_forgets_connections(void **state)
{
	struct lc_fdtable *t = *state;
	struct lc_fd_snapshot s;
	assert_true(lc_fdtable_set(t, 7, LC_FD_CONNECTION, 1001, 5));
	assert_int_equal(lc_fdtable_live(t), 1);
	assert_true(lc_fdtable_get(t, 7, &s));
	assert_int_equal(s.kind, LC_FD_CONNECTION);
	assert_int_equal(s.ino, 1001);
	assert_int_equal(s.since, 5);
	assert_int_equal(lc_fdtable_forget(t, 7), LC_FD_CONNECTION);
	assert_int_equal(lc_fdtable_live(t), 0);
	assert_false(lc_fdtable_get(t, 7, &s));
	assert_int_equal(lc_fdtable_forget(t, 7), LC_FD_FREE); /* a second close */
	assert_int_equal(lc_fdtable_live(t), 0);
}

static void untracked_fds_cost_nothing(void **state)
{
	struct lc_fdtable *t = *state;
	struct lc_fd_snapshot s;
	assert_int_equal(lc_fdtable_forget(t, 3), LC_FD_FREE);
	assert_int_equal(lc_fdtable_forget(t, -1), LC_FD_FREE);
	assert_int_equal(lc_fdtable_forget(t, LC_FDTABLE_MAX_FD + 1), LC_FD_FREE);
	assert_false(lc_fdtable_get(t, 100000, &s));
	assert_false(lc_fdtable_set(t, LC_FDTABLE_MAX_FD + 1, LC_FD_CONNECTION, 1, 0));
}

static void high_descriptors_get_their_own_chunks(void **state)
{
	struct lc_fdtable *t = *state;
	struct lc_fd_snapshot s;
	assert_true(lc_fdtable_set(t, 70000, LC_FD_CONNECTION, 9, 0));
	assert_true(lc_fdtable_set(t, 3, LC_FD_CONNECTION, 8, 0));
	assert_int_equal(lc_fdtable_max_fd(t), 70000);
	assert_true(lc_fdtable_get(t, 70000, &s));
	assert_int_equal(s.ino, 9);
	assert_int_equal(lc_fdtable_live(t), 2);
}

static void reuse_of_a_silently_closed_fd_replaces_the_entry(void **state)
{
	/* closed by a raw syscall we never saw, then accepted again */
	struct lc_fdtable *t = *state;
	lc_fdtable_set(t, 5, LC_FD_CONNECTION, 100, 0);
	lc_fdtable_set(t, 5, LC_FD_CONNECTION, 200, 0);
	assert_int_equal(lc_fdtable_live(t), 1);
	struct lc_fd_snapshot s;
	lc_fdtable_get(t, 5, &s);
	assert_int_equal(s.ino, 200);
}

static void stale_drop_fails_if_the_fd_was_reused_meanwhile(void **state)
{
	struct lc_fdtable *t = *state;
	struct lc_fd_snapshot seen, now;
	lc_fdtable_set(t, 9, LC_FD_CONNECTION, 100, 0);
	lc_fdtable_get(t, 9, &seen);
	/* meanwhile: closed and re-accepted with the same number and kind */
	lc_fdtable_forget(t, 9);
	lc_fdtable_set(t, 9, LC_FD_CONNECTION, 300, 0);
	assert_false(lc_fdtable_drop_stale(t, 9, &seen));
	assert_true(lc_fdtable_get(t, 9, &now));
	assert_int_equal(now.ino, 300);
	assert_int_equal(lc_fdtable_live(t), 1);
	assert_true(lc_fdtable_drop_stale(t, 9, &now));
	assert_int_equal(lc_fdtable_live(t), 0);
}

static void dup_aliases_keep_the_connection_until_all_close(void **state)
{
	struct lc_fdtable *t = *state;
	lc_fdtable_set(t, 4, LC_FD_CONNECTION, 77, 0);
	assert_int_equal(lc_fdtable_copy(t, 4, 0), LC_FD_FREE); /* dup2(4, 0) */
	lc_fdtable_forget(t, 4);				 /* close(4) */
	struct lc_fd_snapshot s;
	assert_true(lc_fdtable_get(t, 0, &s));
	assert_int_equal(s.ino, 77);
	assert_int_equal(lc_fdtable_live(t), 1);
	lc_fdtable_forget(t, 0);
	assert_int_equal(lc_fdtable_live(t), 0);
}

static void dup2_onto_a_connection_closes_it(void **state)
{
	struct lc_fdtable *t = *state;
	lc_fdtable_set(t, 6, LC_FD_CONNECTION, 60, 0);
	/* dup2(regular file 3, 6): fd 6 is silently closed first */
	assert_int_equal(lc_fdtable_copy(t, 3, 6), LC_FD_CONNECTION);
	struct lc_fd_snapshot s;
	assert_false(lc_fdtable_get(t, 6, &s));
	assert_int_equal(lc_fdtable_live(t), 0);
}

static void close_range_forgets_only_its_range(void **state)
{
	struct lc_fdtable *t = *state;
	for (int fd = 10; fd < 20; fd++)
		lc_fdtable_set(t, fd, LC_FD_CONNECTION, (uint64_t)fd, 0);
	assert_int_equal(lc_fdtable_forget_range(t, 12, 15), 4);
	assert_int_equal(lc_fdtable_live(t), 6);
	assert_int_equal(lc_fdtable_forget_range(t, 18, 1 << 30), 2); /* closefrom(18) */
	assert_int_equal(lc_fdtable_live(t), 4);
}

/* An entry is 16 bytes: the accept time in 31-bit ticks of 4.19 ms (the
 * 32nd bit says the identity is the peer's, LC_FD_PEER_ID), the inode
 * number in 32 bits (sockfs's own width). */
static void ages_count_in_ticks_and_survive_the_wrap(void **state)
{
	struct lc_fdtable *t = *state;
	struct lc_fd_snapshot s;
	const int64_t tick = 1LL << LC_FD_TICK_SHIFT;
	for (int peer_id = 0; peer_id < 2; peer_id++) {
		uint32_t flag = peer_id ? LC_FD_PEER_ID : 0;
		int64_t accepted = 1000 * tick + 5;
		assert_true(lc_fdtable_set(t, 4, LC_FD_CONNECTION, 42, lc_fd_ticks(accepted) | flag));
		assert_true(lc_fdtable_get(t, 4, &s));
		assert_int_equal(lc_fd_age_ns(&s, accepted), 0);
		/* to within a tick, never more than the true age */
		assert_in_range(lc_fd_age_ns(&s, accepted + 3000000000LL), 3000000000LL - tick,
				3000000000LL);
		/* accepted in the last tick before the 31-bit count wraps round */
		accepted = ((1LL << 31) - 1) * tick;
		assert_true(lc_fdtable_set(t, 4, LC_FD_CONNECTION, 42, lc_fd_ticks(accepted) | flag));
		assert_true(lc_fdtable_get(t, 4, &s));
		assert_int_equal(lc_fd_age_ns(&s, accepted + 2 * tick), 2 * tick);
		/* accepted after the clock was read: new, not 2^31 ticks old */
		assert_int_equal(lc_fd_age_ns(&s, accepted - tick), 0);
		/* the flag never shows in an age, nor the clock's 32nd bit */
		assert_int_equal(lc_fd_age_ns(&s, accepted + (1LL << 31) * tick + 3 * tick), 3 * tick);
	}
	assert_int_equal(sizeof(struct lc_fd_entry), 16);
}

static void identity_is_the_inode_numbers_low_32_bits(void **state)
{
	struct lc_fdtable *t = *state;
	struct lc_fd_snapshot s;
	assert_true(lc_fdtable_set(t, 4, LC_FD_CONNECTION, 0x1234567890ULL, 0));
	assert_true(lc_fdtable_get(t, 4, &s));
	assert_true(lc_fd_same_ino(s.ino, 0x1234567890ULL));
	assert_false(lc_fd_same_ino(s.ino, 0x1234567891ULL));
	assert_true(lc_fdtable_set(t, 5, LC_FD_CONNECTION, 4000000000ULL, 0));
	assert_true(lc_fdtable_get(t, 5, &s));
	assert_true(lc_fd_same_ino(s.ino, 4000000000ULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(tracks_and_forgets_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(untracked_fds_cost_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(high_descriptors_get_their_own_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(reuse_of_a_silently_closed_fd_replaces_the_entry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(stale_drop_fails_if_the_fd_was_reused_meanwhile, setup,
						teardown),
		cmocka_unit_test_setup_teardown(dup_aliases_keep_the_connection_until_all_close, setup,
						teardown),
		cmocka_unit_test_setup_teardown(dup2_onto_a_connection_closes_it, setup, teardown),
		cmocka_unit_test_setup_teardown(close_range_forgets_only_its_range, setup, teardown),
		cmocka_unit_test_setup_teardown(ages_count_in_ticks_and_survive_the_wrap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(identity_is_the_inode_numbers_low_32_bits, setup,
						teardown),
	};
	return cmocka_run_group_tests_name("fdtable", tests, NULL, NULL);
}
