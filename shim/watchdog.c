/* Total deadline (see watchdog.h). */
#include "watchdog.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#include "clock.h"
#include "log.h"
#include "connections.h"
#include "real.h"
#include "report.h"
#include "runtime.h"
#include "thread.h"

#define STACKS_LEAD_NS (600 * LC_NS_PER_MS)

static _Atomic int armed; /* futex word: 0 until the first signal */
static _Atomic int64_t deadline;

static void *watchdog_main(void *unused)
{
	(void)unused;
	while (!atomic_load(&armed))
		lc_real_syscall(SYS_futex, (long)&armed, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0);
	/* The report's stacks are taken just before the deadline, so that the
	 * process still ends on time. */
	int64_t end = atomic_load(&deadline);
	struct timespec at = lc_timespec(lc_report_wanted() ? end - STACKS_LEAD_NS : end);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR)
		;
	if (lc_report_wanted()) {
		lc_report_clear_connections();
		lc_connections_cut(&lc_rt.table, lc_now_ns(), false, true);
		lc_report_capture_threads(STACKS_LEAD_NS - 100 * LC_NS_PER_MS);
		at = lc_timespec(end);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) == EINTR)
			;
		lc_report_write("exit_timeout");
	}
	lc_log2(LC_LOG_WARN, "timeout: the total deadline passed, exiting with 124", NULL);
	_exit(124);
	return NULL;
}

int lc_watchdog_start(void)
{
	return lc_thread_start("lastcall-watch", watchdog_main, NULL, NULL, LC_THREAD_SMALL_STACK);
}

void lc_watchdog_arm(int64_t deadline_ns)
{
	atomic_store(&deadline, deadline_ns);
	atomic_store(&armed, 1);
	lc_real_syscall(SYS_futex, (long)&armed, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
}
