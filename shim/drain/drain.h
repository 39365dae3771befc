/* Layer drain/: the shutdown path and its deadlines. The drain thread
 * (this file) and the watchdog that holds the total deadline. May call
 * every layer below: base/, kernel/, track/, signal/, tell/.
 *
 * The drain thread: the whole shutdown path, signal to exit (SPEC steps
 * 1-8), in drain.c from top to bottom. */
#ifndef LASTCALL_DRAIN_H
#define LASTCALL_DRAIN_H

#include <stdint.h>

/* Runs in the thread started at activation; never returns. */
void *lc_drain_main(void *unused);

/* Deadlines, from the signal's monotonic time and the configuration. */
struct lc_deadlines {
	int64_t delay_end_ns;
	int64_t drain_ns;
	int64_t total_ns;
};
struct lc_config;
struct lc_deadlines lc_deadlines_from(const struct lc_config *cfg, int64_t signal_ns);

/* How long the drain may wait for the next event: until the earliest of
 * the deadline, the next check (0: none) and now + tick (0: none).
 * Returns -1 for "no limit". */
int64_t lc_wait_budget(int64_t now_ns, int64_t deadline_ns, int64_t next_check_ns,
		       int64_t tick_ns);

#endif
