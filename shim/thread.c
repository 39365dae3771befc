/* lastcall's own threads (see thread.h). */
#include "thread.h"

#include <pthread.h>

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
	int r = pthread_create(&thread, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &previous, NULL);
	pthread_attr_destroy(&attr);
	if (r == 0 && name)
		pthread_setname_np(thread, name);
	return r;
}
