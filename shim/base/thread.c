/* lastcall's own threads (see thread.h). */
#include "base/thread.h"

#include <pthread.h>
#include <stdatomic.h>

#include "base/futex.h"
#include "base/real.h"

struct start {
	void *(*fn)(void *);
	void *arg;
	_Atomic int running; /* futex word */
};

static void *trampoline(void *opaque)
{
	struct start *start = opaque;
	void *(*fn)(void *) = start->fn;
	void *arg = start->arg;
	atomic_store(&start->running, 1);
	lc_futex_wake(&start->running);
	return fn(arg); /* `start` is gone from here on: it lived on the creator's stack */
}

int lc_thread_start(const char *name, void *(*fn)(void *), void *arg, const sigset_t *take,
		    size_t stack_size)
{
	pthread_t thread;
	pthread_attr_t attr;
	sigset_t all, previous;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (stack_size)
		pthread_attr_setstacksize(&attr, stack_size);
	/* A new thread inherits its creator's mask. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &previous);
	if (take)
		pthread_sigmask(SIG_UNBLOCK, take, NULL);
	struct start start = {.fn = fn, .arg = arg};
	/* The next pthread_create, not the symbol's (lastcall's own wrapper,
	 * which would take this for a thread of the program's). */
	int r = lc_real_pthread_create(&thread, &attr, trampoline, &start);
	pthread_sigmask(SIG_SETMASK, &previous, NULL);
	pthread_attr_destroy(&attr);
	if (r != 0)
		return r;
	if (name)
		pthread_setname_np(thread, name);
	/* Returns once the thread runs lastcall's code, past its start-up
	 * allocations (TLS, the allocator's per-thread state). A program that
	 * forks right after its first listen (every prefork server) must not
	 * fork while one of our threads holds an allocator lock: glibc's
	 * malloc takes care of that at fork, ASan's allocator in gcc 12 does
	 * not, and its forked child hung in calloc (seen in make sanitize). */
	while (!atomic_load(&start.running))
		lc_futex_wait(&start.running, 0, -1);
	return 0;
}
