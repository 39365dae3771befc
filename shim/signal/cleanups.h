/* Named cleanups registered through lastcall.h (see cleanups.c). */
#ifndef LASTCALL_CLEANUPS_H
#define LASTCALL_CLEANUPS_H

#include <stdint.h>

/* Runs every registered cleanup in order, each within its budget and
 * before `deadline_ns` (CLOCK_MONOTONIC). */
void lc_cleanups_run(int64_t deadline_ns);

/* How old a connection's last data sent must be before it counts as idle:
 * longer once the program has asked lastcall_shutting_down() (idle.h). */
uint32_t lc_reply_quiet_ms(void);

#endif
