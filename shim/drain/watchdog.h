/* The total deadline, enforced from a thread of its own: the exit phase
 * runs the program's code (its handler, atexit, destructors), which may
 * hang the drain thread itself. */
#ifndef LASTCALL_WATCHDOG_H
#define LASTCALL_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>

int lc_watchdog_start(void);
/* Arms it: at `deadline_ns` (CLOCK_MONOTONIC) the process ends with 124. */
void lc_watchdog_arm(int64_t deadline_ns);
/* A third signal: the report is written now (no stacks: "at once") and
 * the process ends with `status`. Async-signal-safe. Returns false when
 * no watchdog runs in this process: the caller must end it itself. */
bool lc_watchdog_force(int status);
/* True once a third signal forced it: the process is ending with that
 * signal's status, and no other exit may overtake it. */
bool lc_watchdog_forced(void);
/* After fork: the child has no watchdog thread until it activates. */
void lc_watchdog_forget_in_child(void);

#endif
