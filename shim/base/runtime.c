/* Process-wide state and its wake-ups (see runtime.h). */
#include "base/runtime.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/export.h"
#include "base/futex.h"
#include "base/real.h"

struct lc_runtime lc_rt = {.wake_fd = -1};
_Atomic int lc_closing_flag LC_HOT_DATA(2);
_Atomic int lc_current_phase LC_HOT_DATA(2);
_Atomic pid_t lc_running_pid LC_HOT_DATA(2);

struct lc_shared_page *lc_shared_page_new(void)
{
	void *page = mmap(NULL, sizeof(struct lc_shared_page), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return NULL;
	struct lc_shared_page *p = page;
	atomic_store(&p->pid, getpid());
	atomic_store(&p->phase, LC_PHASE_SERVING);
	return p;
}

void lc_set_phase(enum lc_phase phase)
{
	atomic_store_explicit(&lc_current_phase, phase, memory_order_release);
	if (lc_rt.own_page)
		atomic_store(&lc_rt.own_page->phase, phase);
}

int lc_owner_phase(pid_t owner)
{
	struct lc_shared_page *p = lc_rt.parent_page;
	if (!p || atomic_load(&p->pid) != owner)
		return LC_PHASE_SERVING;
	return atomic_load(&p->phase);
}

void lc_wake(int events)
{
	atomic_fetch_or(&lc_rt.events, events);
	uint64_t one = 1;
	if (lc_rt.wake_fd >= 0) {
		ssize_t ignored = lc_real_write(lc_rt.wake_fd, &one, sizeof one);
		(void)ignored;
	}
}

void lc_start_closing(void)
{
	int64_t expected = 0;
	atomic_compare_exchange_strong(&lc_rt.stopping_ns, &expected, lc_now_ns());
	atomic_store(&lc_closing_flag, 1);
}

bool lc_request_forced_end(int status)
{
	if (!atomic_load(&lc_rt.watch.running))
		return false;
	atomic_store(&lc_rt.watch.forced_status, status);
	atomic_store(&lc_rt.watch.state, LC_WATCH_FORCED);
	lc_futex_wake(&lc_rt.watch.state);
	return true;
}

bool lc_forced_end_requested(void)
{
	return atomic_load(&lc_rt.watch.running) &&
	       atomic_load(&lc_rt.watch.state) == LC_WATCH_FORCED;
}

/* The child has none of our threads. It starts over if it accepts (a
 * prefork worker). Counts are per process. */
void lc_runtime_reset_in_child(void)
{
	/* First the pages: the one we inherited is our parent's, shared with
	 * it; writing our phase there would lie to it. */
	if (lc_rt.parent_page && lc_rt.parent_page != lc_rt.own_page)
		munmap(lc_rt.parent_page, sizeof *lc_rt.parent_page);
	lc_rt.parent_page = lc_rt.own_page;
	lc_rt.own_page = lc_shared_page_new();

	if (lc_rt.wake_fd >= 0)
		lc_real_close(lc_rt.wake_fd);
	lc_rt.wake_fd = -1;
	atomic_store(&lc_running_pid, 0);
	atomic_store(&lc_rt.drain_tid, 0);
	lc_rt.health_here = false;
	lc_set_phase(LC_PHASE_SERVING);
	atomic_store(&lc_rt.events, 0);
	atomic_store(&lc_rt.signals_received, 0);
	atomic_store(&lc_rt.stopping_ns, 0);
	atomic_store(&lc_closing_flag, 0);
	memset(&lc_rt.counts, 0, sizeof lc_rt.counts);
	atomic_store(&lc_rt.forks, 0);
	atomic_store(&lc_rt.program_exiting, 0);
	atomic_store(&lc_rt.watch.running, false);
	atomic_store(&lc_rt.watch.state, LC_WATCH_IDLE);
}
