/* The least an interposer that must see a call's result can cost: read,
 * write, close and accept4 that call libc's and return what it returned,
 * nothing else.
 *
 * make bench preloads it alone and times it as it times lastcall's wrapper
 * (bench/calls.c: the symbol against libc's own function). On the
 * project's VM a function that returns after a system call pays for the
 * kernel's exit (see doc/performance.md), so this row shows how much of
 * lastcall's figure through the kernel any such interposer pays here. */
#include <dlfcn.h>
#include <sys/socket.h>
#include <sys/types.h>

static ssize_t (*libc_write)(int, const void *, size_t);
static ssize_t (*libc_read)(int, void *, size_t);
static int (*libc_close)(int);
static int (*libc_accept4)(int, struct sockaddr *, socklen_t *, int);

__attribute__((constructor)) static void find_libc(void)
{
	libc_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	libc_read = (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
	libc_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
	libc_accept4 = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
}

/* The result is looked at after the call (as lastcall's tracking does),
 * so the compiler cannot make the call a jump. */
static volatile ssize_t last;

__attribute__((visibility("default"))) ssize_t write(int fd, const void *buf, size_t n)
{
	ssize_t r = libc_write(fd, buf, n);
	last = r;
	return r;
}

__attribute__((visibility("default"))) ssize_t read(int fd, void *buf, size_t n)
{
	ssize_t r = libc_read(fd, buf, n);
	last = r;
	return r;
}

__attribute__((visibility("default"))) int close(int fd)
{
	int r = libc_close(fd);
	last = r;
	return r;
}

__attribute__((visibility("default"))) int accept4(int fd, struct sockaddr *addr, socklen_t *len,
						   int flags)
{
	int r = libc_accept4(fd, addr, len, flags);
	last = r;
	return r;
}
