/* Named cleanups registered through lastcall.h (see cleanups.c). */
#ifndef LASTCALL_CLEANUPS_H
#define LASTCALL_CLEANUPS_H

#include <stdint.h>

/* Runs every registered cleanup in order, each within its budget and
 * before `deadline_ns` (CLOCK_MONOTONIC). */
void lc_cleanups_run(int64_t deadline_ns);

#endif
