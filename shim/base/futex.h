/* Futex waits for lastcall's own threads: a word another thread (or a
 * signal handler: FUTEX_WAKE is a plain system call, async-signal-safe)
 * changes and then wakes. No lock, no allocation, nothing the program's
 * fork or a wedged program thread can hold. */
#ifndef LASTCALL_FUTEX_H
#define LASTCALL_FUTEX_H

#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "base/clock.h"
#include "base/real.h"

/* Sleeps while *word == expected, at most until `until_ns`
 * (CLOCK_MONOTONIC; -1: no limit). May return early (a wake-up, a
 * signal): callers check their condition in a loop. */
static inline void lc_futex_wait(_Atomic int *word, int expected, int64_t until_ns)
{
	if (until_ns < 0) {
		lc_real_syscall(SYS_futex, (long)word, FUTEX_WAIT_PRIVATE, expected, 0, 0, 0);
		return;
	}
	/* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC time. */
	struct timespec at = lc_timespec(until_ns);
	lc_real_syscall(SYS_futex, (long)word, FUTEX_WAIT_BITSET_PRIVATE, expected, (long)&at, 0,
			(long)FUTEX_BITSET_MATCH_ANY);
}

/* Wakes one thread sleeping on `word`. */
static inline void lc_futex_wake(_Atomic int *word)
{
	lc_real_syscall(SYS_futex, (long)word, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
}

#endif
