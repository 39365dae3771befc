/* Lazy binding of the real functions (see real.h). */
#include "base/real.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/export.h"

/* dlsym may call malloc, and an interposed malloc may open or close files:
 * a wrapper reached again while this thread is binding must not recurse
 * into dlsym. The fd functions then fall back to the raw system call. */
static __thread int binding_in_progress;

static long raw_syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
#if defined(__x86_64__)
	long ret;
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	register long r9 __asm__("r9") = a6;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
#elif defined(__aarch64__)
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a1;
	register long x1 __asm__("x1") = a2;
	register long x2 __asm__("x2") = a3;
	register long x3 __asm__("x3") = a4;
	register long x4 __asm__("x4") = a5;
	register long x5 __asm__("x5") = a6;
	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	long ret = x0;
#else
#error "lastcall needs a raw system call for this architecture"
#endif
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

long lc_raw_syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
	return raw_syscall6(n, a1, a2, a3, a4, a5, a6);
}

static void *bind_symbol(_Atomic(void *) *slot, const char *name)
{
	void *fn = atomic_load_explicit(slot, memory_order_acquire);
	if (fn || binding_in_progress)
		return fn;
	binding_in_progress = 1;
	int saved = errno;
	fn = dlsym(RTLD_NEXT, name);
	errno = saved;
	binding_in_progress = 0;
	atomic_store_explicit(slot, fn, memory_order_release);
	return fn;
}

#define BIND(type, name)                                                                      \
	static _Atomic(void *) slot_##name;                                                   \
	__typeof__(type) real_fn = (__typeof__(type))bind_symbol(&slot_##name, #name)

pid_t lc_real_fork(void)
{
	BIND(pid_t(*)(void), fork);
	if (!real_fn)
		return (pid_t)raw_syscall6(SYS_fork, 0, 0, 0, 0, 0, 0);
	return real_fn();
}

_Noreturn void lc_real_exit(int status)
{
	BIND(void (*)(int), exit);
	if (real_fn)
		real_fn(status);
	raw_syscall6(SYS_exit_group, status, 0, 0, 0, 0, 0);
	__builtin_unreachable();
}

_Noreturn void lc_real__exit(int status)
{
	BIND(void (*)(int), _exit);
	if (real_fn)
		real_fn(status);
	raw_syscall6(SYS_exit_group, status, 0, 0, 0, 0, 0);
	__builtin_unreachable();
}

_Noreturn void lc_exit_group(int status)
{
	for (;;)
		raw_syscall6(SYS_exit_group, status, 0, 0, 0, 0, 0);
}

/* The hot three (see real.h): their slots are shared with the inline
 * callers, who come here only until the binding is done. */
_Atomic(void *) lc_real_close_slot LC_HOT_DATA(1);
_Atomic(void *) lc_real_accept_slot LC_HOT_DATA(1);
_Atomic(void *) lc_real_accept4_slot LC_HOT_DATA(1);

int lc_real_accept_unbound(int fd, struct sockaddr *addr, socklen_t *len)
{
	int (*real_fn)(int, struct sockaddr *, socklen_t *) =
		(int (*)(int, struct sockaddr *, socklen_t *))bind_symbol(&lc_real_accept_slot,
									   "accept");
	if (!real_fn)
		return (int)raw_syscall6(SYS_accept, fd, (long)addr, (long)len, 0, 0, 0);
	return real_fn(fd, addr, len);
}

int lc_real_accept4_unbound(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	int (*real_fn)(int, struct sockaddr *, socklen_t *, int) =
		(int (*)(int, struct sockaddr *, socklen_t *, int))bind_symbol(
			&lc_real_accept4_slot, "accept4");
	if (!real_fn)
		return (int)raw_syscall6(SYS_accept4, fd, (long)addr, (long)len, flags, 0, 0);
	return real_fn(fd, addr, len, flags);
}

/* The hot I/O functions: bound on first use; without a binding (a call
 * made while dlsym runs), the system call itself. The _chk variants then
 * skip their check, which the program's own buffer size passed. */
#define HOT_UNBOUND(ret, name, params, args, fallback)                                     \
	_Atomic(void *) lc_real_##name##_slot LC_HOT_DATA(1);                              \
	ret lc_real_##name##_unbound params                                                \
	{                                                                                  \
		ret(*real_fn) params = (ret(*) params)bind_symbol(&lc_real_##name##_slot, #name); \
		if (!real_fn)                                                              \
			return (ret)(fallback);                                            \
		return real_fn args;                                                       \
	}
HOT_UNBOUND(ssize_t, read, (int fd, void *buf, size_t n), (fd, buf, n),
	    raw_syscall6(SYS_read, fd, (long)buf, (long)n, 0, 0, 0))
HOT_UNBOUND(ssize_t, write, (int fd, const void *buf, size_t n), (fd, buf, n),
	    raw_syscall6(SYS_write, fd, (long)buf, (long)n, 0, 0, 0))
HOT_UNBOUND(ssize_t, readv, (int fd, const struct iovec *iov, int n), (fd, iov, n),
	    raw_syscall6(SYS_readv, fd, (long)iov, n, 0, 0, 0))
HOT_UNBOUND(ssize_t, writev, (int fd, const struct iovec *iov, int n), (fd, iov, n),
	    raw_syscall6(SYS_writev, fd, (long)iov, n, 0, 0, 0))
HOT_UNBOUND(ssize_t, recv, (int fd, void *buf, size_t n, int flags), (fd, buf, n, flags),
	    raw_syscall6(SYS_recvfrom, fd, (long)buf, (long)n, flags, 0, 0))
HOT_UNBOUND(ssize_t, send, (int fd, const void *buf, size_t n, int flags), (fd, buf, n, flags),
	    raw_syscall6(SYS_sendto, fd, (long)buf, (long)n, flags, 0, 0))
HOT_UNBOUND(ssize_t, recvfrom,
	    (int fd, void *buf, size_t n, int flags, struct sockaddr *from, socklen_t *len),
	    (fd, buf, n, flags, from, len),
	    raw_syscall6(SYS_recvfrom, fd, (long)buf, (long)n, flags, (long)from, (long)len))
HOT_UNBOUND(ssize_t, sendto,
	    (int fd, const void *buf, size_t n, int flags, const struct sockaddr *to,
	     socklen_t len),
	    (fd, buf, n, flags, to, len),
	    raw_syscall6(SYS_sendto, fd, (long)buf, (long)n, flags, (long)to, len))
HOT_UNBOUND(ssize_t, recvmsg, (int fd, struct msghdr *msg, int flags), (fd, msg, flags),
	    raw_syscall6(SYS_recvmsg, fd, (long)msg, flags, 0, 0, 0))
HOT_UNBOUND(ssize_t, sendmsg, (int fd, const struct msghdr *msg, int flags), (fd, msg, flags),
	    raw_syscall6(SYS_sendmsg, fd, (long)msg, flags, 0, 0, 0))
HOT_UNBOUND(ssize_t, sendfile, (int out, int in, off_t *offset, size_t n), (out, in, offset, n),
	    raw_syscall6(SYS_sendfile, out, in, (long)offset, (long)n, 0, 0))
HOT_UNBOUND(ssize_t, splice,
	    (int in, loff_t *in_off, int out, loff_t *out_off, size_t n, unsigned flags),
	    (in, in_off, out, out_off, n, flags),
	    raw_syscall6(SYS_splice, in, (long)in_off, out, (long)out_off, (long)n, flags))
HOT_UNBOUND(ssize_t, __read_chk, (int fd, void *buf, size_t n, size_t size), (fd, buf, n, size),
	    raw_syscall6(SYS_read, fd, (long)buf, (long)n, 0, 0, 0))
HOT_UNBOUND(ssize_t, __recv_chk, (int fd, void *buf, size_t n, size_t size, int flags),
	    (fd, buf, n, size, flags), raw_syscall6(SYS_recvfrom, fd, (long)buf, (long)n, flags, 0, 0))
HOT_UNBOUND(ssize_t, __recvfrom_chk,
	    (int fd, void *buf, size_t n, size_t size, int flags, struct sockaddr *from,
	     socklen_t *len),
	    (fd, buf, n, size, flags, from, len),
	    raw_syscall6(SYS_recvfrom, fd, (long)buf, (long)n, flags, (long)from, (long)len))

void lc_real_bind_hot(void)
{
	static const struct {
		_Atomic(void *) *slot;
		const char *name;
	} hot[] = {
		{&lc_real_close_slot, "close"},	      {&lc_real_accept_slot, "accept"},
		{&lc_real_accept4_slot, "accept4"},   {&lc_real_read_slot, "read"},
		{&lc_real_write_slot, "write"},	      {&lc_real_readv_slot, "readv"},
		{&lc_real_writev_slot, "writev"},     {&lc_real_recv_slot, "recv"},
		{&lc_real_send_slot, "send"},	      {&lc_real_recvfrom_slot, "recvfrom"},
		{&lc_real_sendto_slot, "sendto"},     {&lc_real_recvmsg_slot, "recvmsg"},
		{&lc_real_sendmsg_slot, "sendmsg"},   {&lc_real_sendfile_slot, "sendfile"},
		{&lc_real_splice_slot, "splice"},     {&lc_real___read_chk_slot, "__read_chk"},
		{&lc_real___recv_chk_slot, "__recv_chk"},
		{&lc_real___recvfrom_chk_slot, "__recvfrom_chk"},
	};
	for (size_t i = 0; i < sizeof hot / sizeof hot[0]; i++)
		bind_symbol(hot[i].slot, hot[i].name);
}

int lc_real_listen(int fd, int backlog)
{
	BIND(int (*)(int, int), listen);
	if (!real_fn)
		return (int)raw_syscall6(SYS_listen, fd, backlog, 0, 0, 0, 0);
	return real_fn(fd, backlog);
}

LC_SERVING int lc_real_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	BIND(int (*)(int, int, int, struct epoll_event *), epoll_ctl);
	if (!real_fn)
		return (int)raw_syscall6(SYS_epoll_ctl, epfd, op, fd, (long)event, 0, 0);
	return real_fn(epfd, op, fd, event);
}

int lc_real_close_unbound(int fd)
{
	int (*real_fn)(int) = (int (*)(int))bind_symbol(&lc_real_close_slot, "close");
	if (!real_fn)
		return (int)raw_syscall6(SYS_close, fd, 0, 0, 0, 0, 0);
	return real_fn(fd);
}

int lc_real_close_range(unsigned first, unsigned last, int flags)
{
	BIND(int (*)(unsigned, unsigned, int), close_range);
	if (!real_fn)
		return (int)raw_syscall6(SYS_close_range, first, last, flags, 0, 0, 0);
	return real_fn(first, last, flags);
}

void lc_real_closefrom(int lowfd)
{
	BIND(void (*)(int), closefrom);
	if (real_fn)
		real_fn(lowfd);
	else
		raw_syscall6(SYS_close_range, lowfd, ~0U, 0, 0, 0, 0);
}

int lc_real_fclose(FILE *f)
{
	BIND(int (*)(FILE *), fclose);
	if (!real_fn) {
		errno = ENOSYS;
		return EOF;
	}
	return real_fn(f);
}

int lc_real_dup(int fd)
{
	BIND(int (*)(int), dup);
	if (!real_fn)
		return (int)raw_syscall6(SYS_dup, fd, 0, 0, 0, 0, 0);
	return real_fn(fd);
}

int lc_real_dup2(int oldfd, int newfd)
{
	BIND(int (*)(int, int), dup2);
	if (!real_fn) {
		if (oldfd == newfd) /* dup3 refuses this case; dup2 checks oldfd */
			return (int)raw_syscall6(SYS_fcntl, oldfd, F_GETFD, 0, 0, 0, 0) < 0 ? -1
											  : newfd;
		return (int)raw_syscall6(SYS_dup3, oldfd, newfd, 0, 0, 0, 0);
	}
	return real_fn(oldfd, newfd);
}

int lc_real_dup3(int oldfd, int newfd, int flags)
{
	BIND(int (*)(int, int, int), dup3);
	if (!real_fn)
		return (int)raw_syscall6(SYS_dup3, oldfd, newfd, flags, 0, 0, 0);
	return real_fn(oldfd, newfd, flags);
}

int lc_real_fcntl(int fd, int cmd, long arg)
{
	BIND(int (*)(int, int, ...), fcntl);
	if (!real_fn)
		return (int)raw_syscall6(SYS_fcntl, fd, cmd, arg, 0, 0, 0);
	return real_fn(fd, cmd, arg);
}

long lc_real_syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6)
{
	BIND(long (*)(long, ...), syscall);
	if (!real_fn)
		return raw_syscall6(number, a1, a2, a3, a4, a5, a6);
	return real_fn(number, a1, a2, a3, a4, a5, a6);
}

int lc_real_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	BIND(int (*)(int, const struct sigaction *, struct sigaction *), sigaction);
	if (!real_fn) {
		errno = ENOSYS;
		return -1;
	}
	return real_fn(sig, act, old);
}

sighandler_t lc_real_signal(int sig, sighandler_t handler)
{
	BIND(sighandler_t(*)(int, sighandler_t), signal);
	if (!real_fn) {
		errno = ENOSYS;
		return SIG_ERR;
	}
	return real_fn(sig, handler);
}

sighandler_t lc_real_sysv_signal(int sig, sighandler_t handler)
{
	BIND(sighandler_t(*)(int, sighandler_t), sysv_signal);
	if (!real_fn) {
		errno = ENOSYS;
		return SIG_ERR;
	}
	return real_fn(sig, handler);
}

sighandler_t lc_real_sigset(int sig, sighandler_t handler)
{
	BIND(sighandler_t(*)(int, sighandler_t), sigset);
	if (!real_fn) {
		errno = ENOSYS;
		return SIG_ERR;
	}
	return real_fn(sig, handler);
}

int lc_real_signalfd(int fd, const sigset_t *mask, int flags)
{
	BIND(int (*)(int, const sigset_t *, int), signalfd);
	if (!real_fn) {
		errno = ENOSYS;
		return -1;
	}
	return real_fn(fd, mask, flags);
}

int lc_real_sigwait(const sigset_t *set, int *sig)
{
	BIND(int (*)(const sigset_t *, int *), sigwait);
	if (!real_fn)
		return ENOSYS;
	return real_fn(set, sig);
}

int lc_real_sigwaitinfo(const sigset_t *set, siginfo_t *info)
{
	BIND(int (*)(const sigset_t *, siginfo_t *), sigwaitinfo);
	if (!real_fn) {
		errno = ENOSYS;
		return -1;
	}
	return real_fn(set, info);
}

int lc_real_sigtimedwait(const sigset_t *set, siginfo_t *info, const struct timespec *timeout)
{
	BIND(int (*)(const sigset_t *, siginfo_t *, const struct timespec *), sigtimedwait);
	if (!real_fn) {
		errno = ENOSYS;
		return -1;
	}
	return real_fn(set, info, timeout);
}
