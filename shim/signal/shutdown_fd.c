/* The shutdown descriptor of lastcall.h (see shutdown_fd.h).
 *
 * A pipe: its read end is the program's to poll (asyncio's add_reader,
 * epoll, select), lastcall writes one byte to the write end when the
 * drain notices the first shutdown signal, and nobody ever reads it, so
 * it stays readable for every waiter, however many and however late.
 *
 * Why a pipe and not an eventfd: lastcall must make sure a number it
 * writes to is still its own (a program may close_range() everything,
 * and the number be reused for a client's socket). Every eventfd shares
 * one anonymous inode, so fstat cannot tell them apart; a pipe has an
 * inode of its own.
 *
 * Why the child's pipe is put on the same numbers at fork: the program
 * may hold the number (a registered reader) across the fork; a pipe
 * shared with the parent would wake the child at the parent's signal. */
#include "signal/shutdown_fd.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/export.h"
#define LASTCALL_BUILDING_LIBRARY
#include "base/fdroom.h"
#include "base/real.h"
#include "base/runtime.h"
#include "lastcall.h"

static pthread_mutex_t guard = PTHREAD_MUTEX_INITIALIZER;
static int read_end = -1, write_end = -1;
static dev_t pipe_dev;
static ino_t pipe_ino;
static bool fired;

/* fd still names our pipe (the program did not close it behind us). */
static bool is_our_pipe(int fd)
{
	struct stat st;
	return fd >= 0 && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && st.st_dev == pipe_dev &&
	       st.st_ino == pipe_ino;
}

static void fire_locked(void)
{
	if (fired || !is_our_pipe(write_end))
		return;
	char one = 1;
	if (lc_real_write(write_end, &one, 1) == 1)
		fired = true;
}

static bool make_pipe(int ends[2])
{
	if (LC_WITH_ROOM(pipe2(ends, O_CLOEXEC | O_NONBLOCK)) < 0)
		return false;
	struct stat st;
	if (fstat(ends[0], &st) < 0) {
		lc_real_close(ends[0]);
		lc_real_close(ends[1]);
		return false;
	}
	pipe_dev = st.st_dev;
	pipe_ino = st.st_ino;
	return true;
}

LC_EXPORT int lastcall_shutdown_fd(void)
{
	int saved = errno;
	pthread_mutex_lock(&guard);
	if (!is_our_pipe(read_end) || !is_our_pipe(write_end)) {
		/* First call, or the program closed ours: a new one. Of the
		 * old numbers, only one still ours is closed: the other may
		 * be someone else's now. */
		int ends[2];
		if (is_our_pipe(read_end))
			lc_real_close(read_end);
		if (is_our_pipe(write_end))
			lc_real_close(write_end);
		read_end = write_end = -1;
		fired = false;
		if (make_pipe(ends)) {
			read_end = ends[0];
			write_end = ends[1];
		}
	}
	if (lc_phase() >= LC_PHASE_NOTICED)
		fire_locked(); /* asked for after the signal */
	int fd = read_end;
	pthread_mutex_unlock(&guard);
	errno = saved;
	return fd;
}

void lc_shutdown_fd_fire(void)
{
	int saved = errno;
	pthread_mutex_lock(&guard);
	fire_locked();
	pthread_mutex_unlock(&guard);
	errno = saved;
}

void lc_shutdown_fd_forget_in_child(void)
{
	/* A thread of the parent may have held the lock at fork. */
	pthread_mutex_init(&guard, NULL);
	fired = false;
	if (!is_our_pipe(read_end) || !is_our_pipe(write_end)) {
		read_end = write_end = -1;
		return;
	}
	int ends[2];
	if (!make_pipe(ends)) {
		/* No pipe of our own: the numbers stay the parent's pipe, so
		 * this process's lastcall_shutdown_fd() makes a new one, and
		 * the program's old number would wake at the parent's signal.
		 * Close the write end at least: it is this child's copy. */
		lc_real_close(write_end);
		read_end = write_end = -1;
		return;
	}
	/* The new pipe's file descriptions (nonblocking) take the numbers. */
	if (lc_real_dup3(ends[0], read_end, O_CLOEXEC) < 0 ||
	    lc_real_dup3(ends[1], write_end, O_CLOEXEC) < 0)
		read_end = write_end = -1;
	lc_real_close(ends[0]);
	lc_real_close(ends[1]);
}
