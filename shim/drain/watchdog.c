/* Total deadline (see watchdog.h). */
#include "drain/watchdog.h"
#include "track/fdtable.h"

#include <stdatomic.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/futex.h"
#include "base/log.h"
#include "base/real.h"
#include "base/runtime.h"
#include "base/thread.h"
#include "tell/report.h"
#include "track/connections.h"

#define STACKS_LEAD_NS (600 * LC_NS_PER_MS)
#define RECORDING_WAIT_NS (100 * LC_NS_PER_MS)

/* The futex word is lc_rt.watch.state (base/runtime.h): a third signal's
 * handler sets it to FORCED from below, without knowing this thread. */
static _Atomic int *const state = &lc_rt.watch.state;
enum { IDLE = LC_WATCH_IDLE, ARMED = LC_WATCH_ARMED, FORCED = LC_WATCH_FORCED };

/* Sleeps until `at` (CLOCK_MONOTONIC) or until the state leaves `from`. */
static void wait_until(int from, int64_t at_ns)
{
	while (atomic_load(state) == from && lc_now_ns() < at_ns)
		lc_futex_wait(state, from, at_ns);
}

/* What is still open, for the report: unless the drain's own cut listed
 * them already, or is listing them now and does not finish in time. */
static void record_open_connections(bool unless_listed)
{
	static struct lc_conn_view still_open[LC_REPORT_MAX_CONNECTIONS];
	if (!lc_report_recording_begin(RECORDING_WAIT_NS))
		return;
	if (!unless_listed || lc_report_connection_count() == 0) {
		long n = lc_connections_cut(&lc_table, false, true, still_open,
					    LC_REPORT_MAX_CONNECTIONS);
		lc_report_set_connections(still_open, n);
	}
	lc_report_recording_end();
}

static _Noreturn void end_forced(void)
{
	record_open_connections(true);
	lc_report_write_final("interrupted");
	lc_exit_group(atomic_load(&lc_rt.watch.forced_status));
}

static void *watchdog_main(void *unused)
{
	(void)unused;
	while (atomic_load(state) == IDLE)
		lc_futex_wait(state, IDLE, -1);
	/* The report's stacks are taken just before the deadline, so that the
	 * process still ends on time. */
	int64_t end = atomic_load(&lc_rt.watch.deadline_ns);
	wait_until(ARMED, lc_report_wanted() ? end - STACKS_LEAD_NS : end);
	if (atomic_load(state) == FORCED)
		end_forced();
	if (lc_report_wanted()) {
		record_open_connections(false);
		lc_report_capture_threads(STACKS_LEAD_NS - 100 * LC_NS_PER_MS);
		wait_until(ARMED, end);
		if (atomic_load(state) == FORCED)
			end_forced();
		lc_report_write_final("exit_timeout");
	}
	lc_log2(LC_LOG_WARN, "timeout: the total deadline passed, exiting with 124", NULL);
	lc_exit_group(124);
	return NULL;
}

int lc_watchdog_start(void)
{
	int r = lc_thread_start("lastcall-watch", watchdog_main, NULL, NULL, LC_THREAD_SMALL_STACK);
	atomic_store(&lc_rt.watch.running, r == 0);
	return r;
}

void lc_watchdog_arm(int64_t deadline_ns)
{
	atomic_store(&lc_rt.watch.deadline_ns, deadline_ns);
	int idle = IDLE;
	if (atomic_compare_exchange_strong(state, &idle, ARMED))
		lc_futex_wake(state);
}
