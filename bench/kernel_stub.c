/* A kernel that answers read, write, close and accept4 at once, for make
 * bench.
 *
 * On this project's VM a system call costs 1-2 us and two identical runs of
 * one differ by tens of ns, so a wrapper's few ns cannot be read through a
 * real one. Preloaded after liblastcall.so (whose real functions are found
 * with RTLD_NEXT, so they land here), these stand in for libc's own:
 * bench/calls.c times lastcall's wrapper around them against the same
 * functions called directly, and the difference is the wrapper's own
 * work, nothing of the kernel's.
 *
 * write accepts every byte, close closes nothing (bench/calls.c closes
 * the batch for real afterwards, untimed), accept4 finds no connection
 * (EAGAIN; EBADF on a negative descriptor) except while calls.c sets up
 * its connections. read returns the bytes given to kernel_stub_feed, over
 * and over, or zeros. A compiler barrier keeps write a real call. */
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

/* Set while bench/calls.c accepts its connections (setup, untimed):
 * accept4 goes to libc's. */
static int passing;

__attribute__((visibility("default"))) void kernel_stub_pass(int on)
{
	passing = on;
}

static const char *feed;
static size_t feed_len, feed_at;

__attribute__((visibility("default"))) void kernel_stub_feed(const char *bytes, size_t len)
{
	feed = bytes;
	feed_len = len;
	feed_at = 0;
}

__attribute__((visibility("default"))) ssize_t write(int fd, const void *buf, size_t n)
{
	(void)fd;
	__asm__ volatile("" : : "r"(buf) : "memory");
	return (ssize_t)n;
}

__attribute__((visibility("default"))) ssize_t read(int fd, void *buf, size_t n)
{
	(void)fd;
	if (!feed_len) {
		memset(buf, 0, n);
		return (ssize_t)n;
	}
	size_t left = feed_len - feed_at;
	if (n > left)
		n = left; /* a short read at the end of the fed bytes, as a socket's */
	memcpy(buf, feed + feed_at, n);
	feed_at = (feed_at + n) % feed_len;
	return (ssize_t)n;
}

__attribute__((visibility("default"))) int close(int fd)
{
	(void)fd;
	return 0;
}

__attribute__((visibility("default"))) int accept4(int fd, struct sockaddr *addr, socklen_t *len,
						   int flags)
{
	if (passing) {
		int (*libc_accept4)(int, struct sockaddr *, socklen_t *, int) =
			(int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
		return libc_accept4(fd, addr, len, flags);
	}
	errno = fd < 0 ? EBADF : EAGAIN;
	return -1;
}
