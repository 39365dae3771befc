/* lastcall.h — optional API for programs that can be changed a little.
 *
 * A program built against this header runs unchanged without the library:
 * the functions are weak references, bound only when liblastcall.so is
 * preloaded (or linked). Without it, lastcall_shutting_down() is always 0
 * and lastcall_register_cleanup() returns -1.
 *
 *   while (streaming) {
 *       if (lastcall_shutting_down()) { send_end_marker(); break; }
 *       ...
 *   }
 *   lastcall_register_cleanup("flush-cache", flush_cache, cache, 2000);
 */
#ifndef LASTCALL_H
#define LASTCALL_H

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*lastcall_cleanup_fn)(void *arg);

#ifdef LASTCALL_BUILDING_LIBRARY
#define LASTCALL_WEAK
#else
#define LASTCALL_WEAK __attribute__((weak))
#endif

/* Provided by liblastcall.so. */
int lastcall_shutdown_started(void) LASTCALL_WEAK;
int lastcall_cleanup_add(const char *name, lastcall_cleanup_fn fn, void *arg,
			 unsigned budget_ms) LASTCALL_WEAK;
int lastcall_shutdown_fd(void) LASTCALL_WEAK;

#ifndef LASTCALL_BUILDING_LIBRARY
/* 1 from the first shutdown signal on (during the delay too): stop long
 * loops and streams early, save partial work. */
static inline int lastcall_shutting_down(void)
{
	return lastcall_shutdown_started ? lastcall_shutdown_started() : 0;
}

/* A descriptor that becomes readable at the first shutdown signal (when
 * lastcall_shutting_down() turns 1) and stays readable: wait for the
 * shutdown in an event loop (epoll, poll, asyncio's add_reader) instead
 * of asking in a loop. Poll it, never read or close it; every call
 * returns the same one. A forked child gets a descriptor of its own under
 * the same number, woken by its own shutdown only. Returns -1 if lastcall
 * is not loaded or no descriptor could be made. Python: python/lastcall.py
 * (wait_shutdown()). */
static inline int lastcall_shutdown_descriptor(void)
{
	return lastcall_shutdown_fd ? lastcall_shutdown_fd() : -1;
}

/* Registers a named cleanup. Cleanups run in registration order when the
 * exit phase begins — after the drain, before the signal is handed back
 * and so before the program's atexit handlers — each in a thread of its
 * own, given at most budget_ms (the total deadline still applies).
 * Returns 0, or -1 if lastcall is not loaded or the table (32) is full. */
static inline int lastcall_register_cleanup(const char *name, lastcall_cleanup_fn fn, void *arg,
					    unsigned budget_ms)
{
	return lastcall_cleanup_add ? lastcall_cleanup_add(name, fn, arg, budget_ms) : -1;
}
#endif

#ifdef __cplusplus
}
#endif

#endif
