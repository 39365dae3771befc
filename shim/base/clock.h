/* Time helpers: monotonic nanoseconds for deadlines, wall time for reports. */
#ifndef LASTCALL_CLOCK_H
#define LASTCALL_CLOCK_H

#include <stdint.h>
#include <time.h>

#define LC_NS_PER_MS 1000000LL
#define LC_NS_PER_S 1000000000LL

static inline int64_t lc_clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * LC_NS_PER_S + ts.tv_nsec;
}

static inline int64_t lc_now_ns(void)
{
	return lc_clock_ns(CLOCK_MONOTONIC);
}

static inline struct timespec lc_timespec(int64_t ns)
{
	struct timespec ts = {.tv_sec = ns / LC_NS_PER_S, .tv_nsec = ns % LC_NS_PER_S};
	return ts;
}

#endif
