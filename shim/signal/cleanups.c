/* lastcall.h: lastcall_shutdown_started() and named cleanups. */
#include "signal/cleanups.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/export.h"
#define LASTCALL_BUILDING_LIBRARY
#include "base/fdroom.h"
#include "base/log.h"
#include "base/real.h"
#include "base/runtime.h"
#include "base/thread.h"
#include "lastcall.h"

#define MAX_CLEANUPS 32

struct cleanup {
	char name[64];
	lastcall_cleanup_fn fn;
	void *arg;
	int64_t budget_ns;
	int done_fd; /* eventfd written when fn returns */
};

static struct cleanup cleanups[MAX_CLEANUPS];
static _Atomic int cleanup_count;
static pthread_mutex_t registering = PTHREAD_MUTEX_INITIALIZER;

LC_EXPORT int lastcall_shutdown_started(void)
{
	/* Loaded first: a stream asking per write stores once, not each time. */
	if (!atomic_load_explicit(&lc_rt.program_asks, memory_order_relaxed))
		atomic_store_explicit(&lc_rt.program_asks, true, memory_order_relaxed);
	return lc_phase() >= LC_PHASE_NOTICED;
}

LC_EXPORT int lastcall_cleanup_add(const char *name, lastcall_cleanup_fn fn, void *arg,
				   unsigned budget_ms)
{
	if (!fn)
		return -1;
	pthread_mutex_lock(&registering);
	int n = atomic_load(&cleanup_count);
	if (n >= MAX_CLEANUPS) {
		pthread_mutex_unlock(&registering);
		return -1;
	}
	struct cleanup *c = &cleanups[n];
	memset(c, 0, sizeof *c);
	strncpy(c->name, name ? name : "cleanup", sizeof c->name - 1);
	c->fn = fn;
	c->arg = arg;
	c->budget_ns = (int64_t)budget_ms * LC_NS_PER_MS;
	atomic_store(&cleanup_count, n + 1);
	pthread_mutex_unlock(&registering);
	return 0;
}

static void *run_one(void *opaque)
{
	struct cleanup *c = opaque;
	c->fn(c->arg);
	uint64_t one = 1;
	ssize_t w = lc_real_write(c->done_fd, &one, sizeof one);
	(void)w;
	return NULL;
}

static void log_cleanup(enum lc_log_level level, const struct cleanup *c, const char *what,
			int64_t ns)
{
	struct lc_line line;
	lc_line_start(&line);
	lc_line_str(&line, "cleanup \"");
	lc_line_str(&line, c->name);
	lc_line_str(&line, what);
	lc_line_duration(&line, ns);
	lc_line_emit(&line, level);
}

/* Each cleanup gets a thread, so one that hangs costs only its budget:
 * the next one still runs, and the signal is still handed back. */
void lc_cleanups_run(int64_t deadline_ns)
{
	int n = atomic_load(&cleanup_count);
	for (int i = 0; i < n; i++) {
		struct cleanup *c = &cleanups[i];
		int64_t started = lc_now_ns();
		int64_t until = started + c->budget_ns;
		if (until > deadline_ns)
			until = deadline_ns;
		c->done_fd = LC_WITH_ROOM(eventfd(0, EFD_CLOEXEC));
		if (c->done_fd < 0)
			continue;
		if (lc_log_enabled(LC_LOG_DEBUG))
			log_cleanup(LC_LOG_DEBUG, c, "\" started, budget ", until - started);
		if (lc_thread_start("lastcall-clean", run_one, c, NULL, 0) != 0)
			continue;
		struct pollfd p = {.fd = c->done_fd, .events = POLLIN};
		int64_t left = until - lc_now_ns();
		struct timespec ts = lc_timespec(left > 0 ? left : 0);
		int ready;
		while ((ready = ppoll(&p, 1, &ts, NULL)) < 0)
			;
		if (ready > 0) {
			log_cleanup(LC_LOG_INFO, c, "\" done in ", lc_now_ns() - started);
			lc_real_close(c->done_fd);
		} else {
			/* left running; its eventfd stays open for it */
			log_cleanup(LC_LOG_WARN, c, "\" still running after its budget of ", c->budget_ns);
		}
	}
}
