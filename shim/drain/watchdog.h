/* The total deadline, enforced from a thread of its own: the exit phase
 * runs the program's code (its handler, atexit, destructors), which may
 * hang the drain thread itself. A third signal reaches it through
 * lc_request_forced_end (base/runtime.h). */
#ifndef LASTCALL_WATCHDOG_H
#define LASTCALL_WATCHDOG_H

#include <stdint.h>

int lc_watchdog_start(void);
/* Arms it: at `deadline_ns` (CLOCK_MONOTONIC) the process ends with 124. */
void lc_watchdog_arm(int64_t deadline_ns);

#endif
