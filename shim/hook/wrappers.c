/* Layer hook/, the top: every way into the library from the program.
 * The interposed exports (this file, one line each), the logic behind the
 * descriptor calls (fdhooks), the constructor, activation and fork
 * handlers (lifecycle). May call every layer; nothing calls it.
 *
 * Each interposed function has three layers, as in socket_wrapper: the
 * export here, its logic (hook/fdhooks.c, signal/signals.c) and the real
 * function (base/real.c). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/errno_tls.h"
#include "base/export.h"
#include "base/real.h"
#include "hook/fdhooks.h"
#include "hook/iohooks.h"
#include "hook/lifecycle.h"
#include "signal/exits.h"
#include "signal/signals.h"

LC_EXPORT pid_t fork(void)
{
	return lc_fork();
}

LC_EXPORT void exit(int status)
{
	lc_exit(status);
}

/* _Exit is glibc's alias of _exit, a symbol of its own. */
LC_EXPORT void _exit(int status)
{
	lc_underscore_exit(status);
}

LC_EXPORT void _Exit(int status)
{
	lc_underscore_exit(status);
}

/* The program's threads: from its first, or its first cancellation, its
 * calls go through glibc's functions (base/real.h). lastcall's own
 * threads do not come here (base/thread.c). */
LC_EXPORT LC_CONNECTION int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
					   void *(*start)(void *), void *arg)
{
	lc_real_program_threads();
	return lc_real_pthread_create(thread, attr, start, arg);
}

LC_EXPORT int thrd_create(thrd_t *thread, thrd_start_t start, void *arg)
{
	lc_real_program_threads();
	return lc_real_thrd_create(thread, start, arg);
}

LC_EXPORT int pthread_cancel(pthread_t thread)
{
	lc_real_program_threads();
	return lc_real_pthread_cancel(thread);
}

LC_EXPORT int kill(pid_t pid, int sig)
{
	return lc_kill(pid, sig);
}

LC_EXPORT int killpg(pid_t group, int sig)
{
	if (group < 0) {
		errno = EINVAL;
		return -1;
	}
	return lc_kill(-group, sig);
}

LC_EXPORT LC_CONNECTION int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return lc_accept(fd, addr, len, 0, 0);
}

LC_EXPORT LC_CONNECTION int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	return lc_accept(fd, addr, len, flags, 1);
}

LC_EXPORT int listen(int fd, int backlog)
{
	return lc_listen(fd, backlog);
}

LC_EXPORT LC_CONNECTION int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	return lc_epoll_ctl(epfd, op, fd, event);
}

/* Not tracked: here so that an event loop's wait skips glibc's threaded
 * path too while the program has no thread of its own (base/real.c). */
LC_EXPORT LC_SERVING_CORE int epoll_wait(int epfd, struct epoll_event *events, int max,
					 int timeout)
{
	return lc_real_epoll_wait(epfd, events, max, timeout);
}

LC_EXPORT LC_SERVING int epoll_pwait(int epfd, struct epoll_event *events, int max, int timeout,
				     const sigset_t *mask)
{
	return lc_real_epoll_pwait(epfd, events, max, timeout, mask);
}

LC_EXPORT LC_CONNECTION int close(int fd)
{
	return lc_close(fd);
}

LC_EXPORT LC_CONNECTION int __close(int fd)
{
	return lc_close(fd);
}

LC_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	return lc_close_range(first, last, flags);
}

LC_EXPORT void closefrom(int lowfd)
{
	lc_closefrom(lowfd);
}

LC_EXPORT int fclose(FILE *f)
{
	return lc_fclose(f);
}

LC_EXPORT int dup(int fd)
{
	return lc_dup(fd);
}

LC_EXPORT int dup2(int oldfd, int newfd)
{
	return lc_dup2(oldfd, newfd);
}

LC_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	return lc_dup3(oldfd, newfd, flags);
}

/* fcntl's third argument is an int or a pointer; both travel as a long in
 * the calling conventions glibc supports (glibc reads it the same way). */
LC_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	long arg = va_arg(ap, long);
	va_end(ap);
	return lc_fcntl(fd, cmd, arg);
}

LC_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	long arg = va_arg(ap, long);
	va_end(ap);
	return lc_fcntl(fd, cmd, arg);
}

/* Six arguments are read whatever the call passed, exactly as glibc's
 * own syscall() does: five registers and, for the sixth, the caller's
 * stack slot above its return address. In a sanitizer build that slot
 * can be a redzone of an instrumented caller's frame (a test server's
 * thread calling syscall(SYS_gettid)), which ASan reported: not checked
 * here, as glibc's assembly is not. */
LC_EXPORT __attribute__((no_sanitize("address"))) long syscall(long number, ...)
{
	va_list ap;
	va_start(ap, number);
	long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
	long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
	va_end(ap);
	return lc_syscall(number, a1, a2, a3, a4, a5, a6);
}

LC_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	return lc_sigaction(sig, act, old);
}

LC_EXPORT int __sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	return lc_sigaction(sig, act, old);
}

LC_EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
	return lc_signal_bsd(sig, handler);
}

LC_EXPORT sighandler_t bsd_signal(int sig, sighandler_t handler)
{
	return lc_signal_bsd(sig, handler);
}

LC_EXPORT sighandler_t ssignal(int sig, sighandler_t handler)
{
	return lc_signal_bsd(sig, handler);
}

LC_EXPORT sighandler_t sysv_signal(int sig, sighandler_t handler)
{
	return lc_signal_sysv(sig, handler);
}

LC_EXPORT sighandler_t __sysv_signal(int sig, sighandler_t handler)
{
	return lc_signal_sysv(sig, handler);
}

LC_EXPORT sighandler_t sigset(int sig, sighandler_t handler)
{
	return lc_sigset(sig, handler);
}

LC_EXPORT int signalfd(int fd, const sigset_t *mask, int flags)
{
	return lc_signalfd(fd, mask, flags);
}

LC_EXPORT int sigwait(const sigset_t *set, int *sig)
{
	return lc_sigwait(set, sig);
}

LC_EXPORT int sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
	return lc_sigwaitinfo(set, info);
}

LC_EXPORT int sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)
{
	return lc_sigtimedwait(set, info, timeout);
}

/* Reads and writes: one table load unless the descriptor is a connection. */
LC_EXPORT LC_SERVING_CORE ssize_t read(int fd, void *buf, size_t n)
{
	return lc_read(fd, buf, n, (size_t)-1);
}

LC_EXPORT LC_SERVING ssize_t __read_chk(int fd, void *buf, size_t n, size_t size)
{
	return lc_read(fd, buf, n, size);
}

LC_EXPORT LC_SERVING ssize_t readv(int fd, const struct iovec *iov, int n)
{
	return lc_readv(fd, iov, n);
}

LC_EXPORT LC_SERVING ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	return lc_recvfrom(fd, buf, n, (size_t)-1, flags, NULL, NULL);
}

LC_EXPORT LC_SERVING ssize_t __recv_chk(int fd, void *buf, size_t n, size_t size, int flags)
{
	return lc_recvfrom(fd, buf, n, size, flags, NULL, NULL);
}

LC_EXPORT LC_SERVING ssize_t recvfrom(int fd, void *buf, size_t n, int flags,
				      struct sockaddr *from, socklen_t *len)
{
	return lc_recvfrom(fd, buf, n, (size_t)-1, flags, from, len);
}

LC_EXPORT LC_SERVING ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t size,
					    int flags, struct sockaddr *from, socklen_t *len)
{
	return lc_recvfrom(fd, buf, n, size, flags, from, len);
}

LC_EXPORT LC_SERVING ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	return lc_recvmsg(fd, msg, flags);
}

LC_EXPORT LC_SERVING_CORE ssize_t write(int fd, const void *buf, size_t n)
{
	return lc_write(fd, buf, n);
}

LC_EXPORT LC_SERVING ssize_t writev(int fd, const struct iovec *iov, int n)
{
	return lc_writev(fd, iov, n);
}

LC_EXPORT LC_SERVING ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	return lc_sendto(fd, buf, n, flags, NULL, 0);
}

LC_EXPORT LC_SERVING ssize_t sendto(int fd, const void *buf, size_t n, int flags,
				     const struct sockaddr *to, socklen_t len)
{
	return lc_sendto(fd, buf, n, flags, to, len);
}

LC_EXPORT LC_SERVING ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	return lc_sendmsg(fd, msg, flags);
}

LC_EXPORT ssize_t sendfile(int out, int in, off_t *offset, size_t n)
{
	return lc_io_sendfile(out, in, offset, n);
}

LC_EXPORT ssize_t sendfile64(int out, int in, off_t *offset, size_t n)
{
	return lc_io_sendfile(out, in, offset, n);
}

LC_EXPORT ssize_t splice(int in, loff_t *in_off, int out, loff_t *out_off, size_t n,
			 unsigned flags)
{
	return lc_io_splice(in, in_off, out, out_off, n, flags);
}
