/* Open-descriptor scan (see fdscan.h). */
#include "fdscan.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/syscall.h>
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
	int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
			if (fd == dir)
				continue;
			visit(fd, ctx);
			visited++;
		}
	}
	lc_real_close(dir);
	return visited;
}
