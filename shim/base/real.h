/* The real C library functions behind every wrapper (layer 1 of 3).
 *
 * Bound lazily with dlsym(RTLD_NEXT): other libraries' constructors may
 * call a wrapped function before our constructor runs. Inside lastcall,
 * always call these, never the plain names: the plain names resolve to our
 * own exported wrappers. */
#ifndef LASTCALL_REAL_H
#define LASTCALL_REAL_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <threads.h>

pid_t lc_real_fork(void);
_Noreturn void lc_real_exit(int status);
_Noreturn void lc_real__exit(int status);
/* Ends the process now, through the system call itself: a deadline that
 * holds even where _exit() is interposed (a sanitizer runtime's _exit
 * runs its finaliser, which takes locks: seen hanging a forking program
 * past its deadline under TSan). */
_Noreturn void lc_exit_group(int status);
/* A system call made here, never bound through dlsym (which may lock or
 * allocate): for signal handlers. Sets errno and returns -1 on error. */
long lc_raw_syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6);
int lc_real_listen(int fd, int backlog);
struct epoll_event;
int lc_real_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);
/* close, accept and accept4 are on the hot path of every server: their
 * bound addresses are read inline, and only the first call (or one made
 * while binding) goes out of line. */
#define LC_HIDDEN __attribute__((visibility("hidden")))
extern _Atomic(void *) lc_real_close_slot LC_HIDDEN;
extern _Atomic(void *) lc_real_accept_slot LC_HIDDEN;
extern _Atomic(void *) lc_real_accept4_slot LC_HIDDEN;
int lc_real_close_unbound(int fd);
int lc_real_accept_unbound(int fd, struct sockaddr *addr, socklen_t *len);
int lc_real_accept4_unbound(int fd, struct sockaddr *addr, socklen_t *len, int flags);

static inline int lc_real_close(int fd)
{
	int (*real)(int) = (int (*)(int))atomic_load_explicit(&lc_real_close_slot,
							       memory_order_acquire);
	return real ? real(fd) : lc_real_close_unbound(fd);
}

static inline int lc_real_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	int (*real)(int, struct sockaddr *, socklen_t *) =
		(int (*)(int, struct sockaddr *, socklen_t *))atomic_load_explicit(
			&lc_real_accept_slot, memory_order_acquire);
	return real ? real(fd, addr, len) : lc_real_accept_unbound(fd, addr, len);
}

static inline int lc_real_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	int (*real)(int, struct sockaddr *, socklen_t *, int) =
		(int (*)(int, struct sockaddr *, socklen_t *, int))atomic_load_explicit(
			&lc_real_accept4_slot, memory_order_acquire);
	return real ? real(fd, addr, len, flags) : lc_real_accept4_unbound(fd, addr, len, flags);
}
/* The program's reads and writes, on the hot path too: each bound
 * address is read inline, as for close (the first call binds it). */
#define LC_HOT_REAL(ret, name, params, args)                                               \
	extern _Atomic(void *) lc_real_##name##_slot LC_HIDDEN;                            \
	ret lc_real_##name##_unbound params;                                               \
	static inline ret lc_real_##name params                                            \
	{                                                                                  \
		ret(*real) params = (ret(*) params)atomic_load_explicit(&lc_real_##name##_slot, \
									 memory_order_acquire);   \
		return real ? real args : lc_real_##name##_unbound args;                   \
	}
LC_HOT_REAL(ssize_t, read, (int fd, void *buf, size_t n), (fd, buf, n))
LC_HOT_REAL(ssize_t, write, (int fd, const void *buf, size_t n), (fd, buf, n))
LC_HOT_REAL(ssize_t, readv, (int fd, const struct iovec *iov, int n), (fd, iov, n))
LC_HOT_REAL(ssize_t, writev, (int fd, const struct iovec *iov, int n), (fd, iov, n))
LC_HOT_REAL(ssize_t, recv, (int fd, void *buf, size_t n, int flags), (fd, buf, n, flags))
LC_HOT_REAL(ssize_t, send, (int fd, const void *buf, size_t n, int flags), (fd, buf, n, flags))
LC_HOT_REAL(ssize_t, recvfrom,
	    (int fd, void *buf, size_t n, int flags, struct sockaddr *from, socklen_t *len),
	    (fd, buf, n, flags, from, len))
LC_HOT_REAL(ssize_t, sendto,
	    (int fd, const void *buf, size_t n, int flags, const struct sockaddr *to,
	     socklen_t len),
	    (fd, buf, n, flags, to, len))
LC_HOT_REAL(ssize_t, recvmsg, (int fd, struct msghdr *msg, int flags), (fd, msg, flags))
LC_HOT_REAL(ssize_t, sendmsg, (int fd, const struct msghdr *msg, int flags), (fd, msg, flags))
LC_HOT_REAL(ssize_t, sendfile, (int out, int in, off_t *offset, size_t n), (out, in, offset, n))
LC_HOT_REAL(ssize_t, splice,
	    (int in, loff_t *in_off, int out, loff_t *out_off, size_t n, unsigned flags),
	    (in, in_off, out, out_off, n, flags))
/* An event loop's wait: interposed only so that it too skips glibc's
 * threaded path while it can (real.c). */
LC_HOT_REAL(int, epoll_wait, (int epfd, struct epoll_event *events, int max, int timeout),
	    (epfd, events, max, timeout))
LC_HOT_REAL(int, epoll_pwait,
	    (int epfd, struct epoll_event *events, int max, int timeout, const sigset_t *mask),
	    (epfd, events, max, timeout, mask))
/* _FORTIFY_SOURCE builds (Debian's packages) call these for buffers of
 * known size: they check, then read. */
LC_HOT_REAL(ssize_t, __read_chk, (int fd, void *buf, size_t n, size_t size), (fd, buf, n, size))
LC_HOT_REAL(ssize_t, __recv_chk, (int fd, void *buf, size_t n, size_t size, int flags),
	    (fd, buf, n, size, flags))
LC_HOT_REAL(ssize_t, __recvfrom_chk,
	    (int fd, void *buf, size_t n, size_t size, int flags, struct sockaddr *from,
	     socklen_t *len),
	    (fd, buf, n, size, flags, from, len))

/* Binds every hot slot now (the constructor): a signal handler that
 * writes to the drain's eventfd must never be the first to call dlsym.
 * Where the program cannot have its calls cancelled yet, the cancellable
 * ones then go to lastcall's own system calls (real.c says why). */
void lc_real_bind_hot(void);
/* The program is about to create a thread or cancel one: its calls go
 * through glibc's functions from now on, in this process and its
 * children. */
void lc_real_program_threads(void);
/* In a forked child: the lock of the change above, new. */
void lc_real_forget_in_child(void);
/* Some hot slot holds lastcall's own system call. */
bool lc_real_own_calls(void);
int lc_real_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
			   void *(*start)(void *), void *arg);
int lc_real_pthread_cancel(pthread_t thread);
int lc_real_thrd_create(thrd_t *thread, thrd_start_t start, void *arg);
int lc_real_close_range(unsigned first, unsigned last, int flags);
void lc_real_closefrom(int lowfd);
int lc_real_fclose(FILE *f);
int lc_real_dup(int fd);
int lc_real_dup2(int oldfd, int newfd);
int lc_real_dup3(int oldfd, int newfd, int flags);
int lc_real_fcntl(int fd, int cmd, long arg);
long lc_real_syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);
int lc_real_sigaction(int sig, const struct sigaction *act, struct sigaction *old);
sighandler_t lc_real_signal(int sig, sighandler_t handler);
sighandler_t lc_real_sysv_signal(int sig, sighandler_t handler);
sighandler_t lc_real_sigset(int sig, sighandler_t handler);
int lc_real_signalfd(int fd, const sigset_t *mask, int flags);
int lc_real_sigwait(const sigset_t *set, int *sig);
int lc_real_sigwaitinfo(const sigset_t *set, siginfo_t *info);
int lc_real_sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout);

#endif
