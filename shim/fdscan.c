/* Open-descriptor scan (see fdscan.h). */
#include "fdscan.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "real.h"

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
	int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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

struct accept_search {
	int fd;
	int found;
};

static void check_task(int tid, void *opaque)
{
	struct accept_search *search = opaque;
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/self/task/%d/syscall", tid);
	int f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return;
	ssize_t n = read(f, line, sizeof line - 1);
	lc_real_close(f);
	if (n <= 0)
		return;
	line[n] = '\0';
	/* "NR arg1 arg2 ..." with arguments in hex, or "running" */
	char *end;
	long nr = strtol(line, &end, 10);
	if (end == line || (nr != SYS_accept && nr != SYS_accept4))
		return;
	if (strtol(end, NULL, 16) == search->fd)
		search->found++;
}

int lc_threads_in_accept(int fd)
{
	struct accept_search search = {.fd = fd, .found = 0};
	lc_for_each_number("/proc/self/task", check_task, &search);
	return search.found;
}
