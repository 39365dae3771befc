/* Room in the descriptor table (see fdroom.h).
 *
 * A server at its RLIMIT_NOFILE is exactly the one that hangs on stop: its
 * accept fails with EMFILE, its backlog fills, and lastcall then needs a
 * few descriptors of its own — to list the fd table (/proc/self/fd), ask
 * sock_diag about send queues, stand in for a stopped listener, write the
 * report. Without them it would see no listener, stop nothing and leave the
 * queued clients hanging (measured in test_faults.py before this existed).
 *
 * First the soft limit is raised by ROOM, process-wide: the program's own
 * accept may take some of it too, which at shutdown only means more of its
 * queued clients are served. The hard limit caps it unless the process may
 * raise that too (CAP_SYS_RESOURCE). Where the soft limit already is the
 * hard one, lastcall goes on without (it may not see every listener, and
 * waits for the deadline where it cannot tell idle from busy) and says so
 * once — but the report, the one thing that explains such a stop, has a
 * reserve: a descriptor on /dev/null held since activation, given up just
 * before the report file is created. Given up any earlier, the program's
 * own accept retries took its slot (measured in test_faults.py). */
#include "base/fdroom.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/real.h"

#define ROOM 16
#define MAX_RAISES 8 /* 128 descriptors in all: never a runaway */

static _Atomic int raises;
static _Atomic bool warned;
static _Atomic int reserve = -1;
static dev_t reserve_dev;
static ino_t reserve_ino;

void lc_fd_reserve_take(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return;
	if (fstat(fd, &st) != 0) {
		lc_real_close(fd);
		return;
	}
	reserve_dev = st.st_dev;
	reserve_ino = st.st_ino;
	atomic_store(&reserve, fd);
}

/* Gives up the reserve if it is still ours: the program may have closed
 * it (a daemon closing everything) and reused the number. */
static bool release_reserve(void)
{
	int fd = atomic_exchange(&reserve, -1);
	struct stat st;
	int flags = fd >= 0 ? lc_real_fcntl(fd, F_GETFD, 0) : -1;
	if (flags < 0 || !(flags & FD_CLOEXEC) || fstat(fd, &st) != 0 || st.st_dev != reserve_dev ||
	    st.st_ino != reserve_ino)
		return false;
	lc_real_close(fd);
	return true;
}

void lc_fd_reserve_drop(void)
{
	release_reserve();
}

bool lc_fd_reserve_release(void)
{
	int saved = errno;
	bool released = saved == EMFILE && release_reserve();
	errno = saved;
	return released;
}

bool lc_fd_make_room(void)
{
	int saved = errno;
	if (saved != EMFILE || atomic_fetch_add(&raises, 1) >= MAX_RAISES)
		goto none;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		goto none;
	rlim_t want = rl.rlim_cur + ROOM;
	struct rlimit wider = {.rlim_cur = want, .rlim_max = rl.rlim_max};
	if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
		wider.rlim_max = want; /* only with CAP_SYS_RESOURCE */
	if (setrlimit(RLIMIT_NOFILE, &wider) == 0) {
		lc_log2(LC_LOG_WARN, "the program is at its descriptor limit (EMFILE): "
				     "raised it by 16 for lastcall's own work", NULL);
		errno = saved;
		return true;
	}
none:
	if (saved == EMFILE && !atomic_exchange(&warned, true))
		lc_log2(LC_LOG_WARN, "the program is at its descriptor limit (EMFILE) and it "
				     "cannot be raised: lastcall may not see every listener, nor "
				     "tell idle connections from busy ones", NULL);
	errno = saved;
	return false;
}
