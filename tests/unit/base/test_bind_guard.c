/* Binding a real function (base/real.c): a wrapper reached again from
 * inside dlsym, in the same thread, gets no binding (and makes the raw
 * system call) instead of recursing into dlsym; other threads binding at
 * the same moment are not held off by it and get theirs from dlsym.
 *
 * This program defines dlsym itself: real.o is linked into it, so its
 * calls of dlsym come here, and glibc's is called from here. The real
 * functions used, dup and listen, are bound on first use (not in the
 * constructor's hot set), and this program calls each only here.
 *
 * Not under a sanitizer: its runtime looks up the functions it intercepts
 * with dlsym(RTLD_NEXT) before it is initialised, which would come here,
 * into code instrumented for a runtime not yet there, and on to glibc's
 * dlsym with this program, not the runtime, as the caller RTLD_NEXT
 * counts from. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
/* cmocka needs the headers above first */
#include <cmocka.h>

#include "base/real.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#else
#define UNDER_SANITIZER 0
#endif

/* --- a wrapper reached again while its thread binds --- */

static _Atomic int dup_lookups, dup_deepest;
static _Atomic int inner_dup_fd = -2;

/* --- two threads binding listen at once --- */

static int listen_lookups;

#if !UNDER_SANITIZER
static _Atomic int dup_depth;
static pthread_mutex_t meet_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t meet_cond = PTHREAD_COND_INITIALIZER;
static void *(*glibc_dlsym)(void *, const char *);

static void find_glibc_dlsym(void)
{
	if (glibc_dlsym)
		return;
	/* dlsym's versions on x86_64 (2.34 moved it into libc.so.6) */
	glibc_dlsym = (void *(*)(void *, const char *))dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.34");
	if (!glibc_dlsym)
		glibc_dlsym =
		    (void *(*)(void *, const char *))dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.2.5");
}

/* Each lookup of listen waits, for at most two seconds, until two threads
 * are looking it up: both inside dlsym at once. */
static void meet_the_other_binder(void)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&meet_lock);
	listen_lookups++;
	pthread_cond_broadcast(&meet_cond);
	while (listen_lookups < 2 && pthread_cond_timedwait(&meet_cond, &meet_lock, &until) == 0)
		;
	pthread_mutex_unlock(&meet_lock);
}

void *dlsym(void *handle, const char *name)
{
	find_glibc_dlsym();
	if (strcmp(name, "dup") == 0) {
		atomic_fetch_add(&dup_lookups, 1);
		int depth = atomic_fetch_add(&dup_depth, 1) + 1;
		if (depth > atomic_load(&dup_deepest))
			atomic_store(&dup_deepest, depth);
		/* the wrapper again, as an interposed malloc's open would; a
		 * guard that failed would come back here, up to depth 3 */
		if (depth < 3)
			atomic_store(&inner_dup_fd, lc_real_dup(0));
		atomic_fetch_sub(&dup_depth, 1);
	} else if (strcmp(name, "listen") == 0) {
		meet_the_other_binder();
	}
	return glibc_dlsym(handle, name);
}
#endif

static void a_wrapper_reached_from_inside_dlsym_takes_the_system_call(void **state)
{
	(void)state;
	if (UNDER_SANITIZER)
		skip();
	int fd = lc_real_dup(0);
	assert_true(fd >= 0);
	/* dlsym was entered once; inside it, the same thread's call was not
	 * sent back into dlsym but made the system call itself */
	assert_int_equal(atomic_load(&dup_lookups), 1);
	assert_int_equal(atomic_load(&dup_deepest), 1);
	int inner = atomic_load(&inner_dup_fd);
	assert_true(inner >= 0);
	close(inner);
	close(fd);
	/* and the binding stands: the next call looks nothing up */
	fd = lc_real_dup(0);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(atomic_load(&dup_lookups), 1);
}

static void *listen_on_no_descriptor(void *result)
{
	*(int *)result = lc_real_listen(-1, 1) < 0 && errno == EBADF;
	return NULL;
}

static void threads_binding_at_once_each_get_the_function(void **state)
{
	(void)state;
	if (UNDER_SANITIZER)
		skip();
	pthread_t a, b;
	int a_ok = 0, b_ok = 0;
	assert_int_equal(pthread_create(&a, NULL, listen_on_no_descriptor, &a_ok), 0);
	assert_int_equal(pthread_create(&b, NULL, listen_on_no_descriptor, &b_ok), 0);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	assert_true(a_ok && b_ok);
	/* both were inside dlsym at once: neither was taken for a recursion */
	assert_int_equal(listen_lookups, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_wrapper_reached_from_inside_dlsym_takes_the_system_call),
	    cmocka_unit_test(threads_binding_at_once_each_get_the_function),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
