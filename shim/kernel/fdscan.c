/* Open-descriptor scan (see fdscan.h). */
#include "kernel/fdscan.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fdroom.h"
#include "base/real.h"

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

int lc_for_each_fd(lc_fd_visitor visit, void *ctx)
{
	return lc_for_each_number("/proc/self/fd", visit, ctx);
}

int lc_for_each_number(const char *path, lc_fd_visitor visit, void *ctx)
{
	int dir = LC_WITH_ROOM(open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	if (dir < 0)
		return -1;
	char buf[4096] __attribute__((aligned(8)));
	int visited = 0;
	for (;;) {
		long n = lc_real_syscall(SYS_getdents64, dir, (long)buf, sizeof buf, 0, 0, 0);
		if (n <= 0)
			break;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			off += d->d_reclen;
			int fd = 0;
			const char *p = d->d_name;
			if (*p < '0' || *p > '9')
				continue;
			for (; *p >= '0' && *p <= '9'; p++)
				fd = fd * 10 + (*p - '0');
			if (fd == dir && strcmp(path, "/proc/self/fd") == 0)
				continue; /* our own handle on the directory */
			visit(fd, ctx);
			visited++;
		}
	}
	lc_real_close(dir);
	return visited;
}

struct socket_search {
	pid_t pid;
	uint64_t ino;
	bool found;
};

static void find_socket(int fd, void *opaque)
{
	struct socket_search *search = opaque;
	char path[64], target[64];
	if (search->found)
		return;
	snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)search->pid, fd);
	ssize_t n = readlink(path, target, sizeof target - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	unsigned long long ino;
	/* Low 32 bits, as lastcall's table keeps a socket's inode number
	 * (track/fdtable.h) */
	search->found = sscanf(target, "socket:[%llu]", &ino) == 1 &&
			(uint32_t)ino == (uint32_t)search->ino;
}

bool lc_proc_has_socket(pid_t pid, uint64_t ino)
{
	char dir[32];
	struct socket_search search = {.pid = pid, .ino = ino};
	snprintf(dir, sizeof dir, "/proc/%d/fd", (int)pid);
	return lc_for_each_number(dir, find_socket, &search) < 0 || search.found;
}

struct waiter_search {
	int fd;
	int found;
	int *reading; /* lc_threads_reading: fds being read */
	int max;
};

static bool read_own_memory(void *dst, unsigned long src, size_t len)
{
	struct iovec local = {.iov_base = dst, .iov_len = len};
	struct iovec remote = {.iov_base = (void *)src, .iov_len = len};
	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)len;
}

static bool pollfds_include(unsigned long array, unsigned long count, int fd)
{
	struct pollfd chunk[64];
	for (unsigned long done = 0; done < count && done < 65536;) {
		size_t n = count - done < 64 ? count - done : 64;
		if (!read_own_memory(chunk, array + done * sizeof(struct pollfd),
				     n * sizeof(struct pollfd)))
			return false;
		for (size_t i = 0; i < n; i++)
			if (chunk[i].fd == fd)
				return true;
		done += n;
	}
	return false;
}

static bool fdset_includes(unsigned long readfds, unsigned long nfds, int fd)
{
	if (!readfds || (unsigned long)fd >= nfds)
		return false;
	unsigned long word;
	unsigned long bits = 8 * sizeof word;
	if (!read_own_memory(&word, readfds + (fd / bits) * sizeof word, sizeof word))
		return false;
	return (word >> (fd % bits)) & 1;
}

static void check_task(int tid, void *opaque)
{
	struct waiter_search *search = opaque;
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
	int f = LC_WITH_ROOM(open(path, O_RDONLY | O_CLOEXEC));
	if (f < 0)
		return;
	ssize_t n = lc_real_read(f, line, sizeof line - 1);
	lc_real_close(f);
	if (n <= 0)
		return;
	line[n] = '\0';
	/* "NR arg1 arg2 ..." with arguments in hex, or "running" */
	char *p;
	long nr = strtol(line, &p, 10);
	if (p == line)
		return;
	unsigned long arg[3];
	for (int i = 0; i < 3; i++)
		arg[i] = strtoul(p, &p, 16);
	if (search->reading) {
		if (nr == SYS_read || nr == SYS_readv || nr == SYS_recvfrom || nr == SYS_recvmsg) {
			if (search->found < search->max)
				search->reading[search->found] = (int)arg[0];
			search->found++;
		}
		return;
	}
	bool waiting = false;
	if (nr == SYS_accept || nr == SYS_accept4)
		waiting = arg[0] == (unsigned long)search->fd;
#ifdef SYS_poll
	else if (nr == SYS_poll)
		waiting = pollfds_include(arg[0], arg[1], search->fd);
#endif
	else if (nr == SYS_ppoll)
		waiting = pollfds_include(arg[0], arg[1], search->fd);
#ifdef SYS_select
	else if (nr == SYS_select)
		waiting = fdset_includes(arg[1], arg[0], search->fd);
#endif
	else if (nr == SYS_pselect6)
		waiting = fdset_includes(arg[1], arg[0], search->fd);
	search->found += waiting;
}

int lc_threads_reading(int *fds, int max)
{
	struct waiter_search search = {.fd = -1, .found = 0, .reading = fds, .max = max};
	lc_for_each_number("/proc/self/task", check_task, &search);
	return search.found;
}

int lc_threads_waiting_on(int fd)
{
	struct waiter_search search = {.fd = fd, .found = 0};
	lc_for_each_number("/proc/self/task", check_task, &search);
	return search.found;
}

static char *put_number(char *p, long v)
{
	char digits[24];
	int d = 0;
	do
		digits[d++] = (char)('0' + v % 10);
	while ((v /= 10) > 0 && d < 23);
	while (d > 0)
		*p++ = digits[--d];
	return p;
}

void lc_proc_path(char *out, pid_t pid, pid_t tid, const char *rest)
{
	char *p = out;
	memcpy(p, "/proc/", 6);
	if (pid > 0) {
		p = put_number(p + 6, pid);
	} else {
		memcpy(p + 6, "self", 4);
		p += 10;
	}
	if (tid > 0) {
		memcpy(p, "/task/", 6);
		p = put_number(p + 6, tid);
	}
	*p++ = '/';
	strcpy(p, rest);
}

ssize_t lc_proc_read(pid_t pid, pid_t tid, const char *rest, char *buf, size_t size)
{
	char path[96];
	lc_proc_path(path, pid, tid, rest);
	int fd = LC_WITH_ROOM(open(path, O_RDONLY | O_CLOEXEC));
	if (fd < 0)
		return -1;
	ssize_t got = lc_real_read(fd, buf, size - 1);
	lc_real_close(fd);
	if (got < 0)
		return -1;
	buf[got] = '\0';
	return got;
}

bool lc_thread_sleeping(int tid)
{
	char buf[512];
	if (lc_proc_read(0, tid, "stat", buf, sizeof buf) <= 0)
		return false;
	/* "TID (comm) S ...": comm may hold spaces and parentheses, so the
	 * state follows the last ')'. */
	char *paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' && paren[2] == 'S';
}
