/* Lazy binding of the real functions (see real.h). */
#include "base/real.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/errno_tls.h"
#include "base/export.h"

/* dlsym may call malloc, and an interposed malloc may open or close files:
 * a wrapper reached again while this thread is binding must not recurse
 * into dlsym. The fd functions then fall back to the raw system call.
 *
 * The threads binding at this moment, by pthread_self(), rather than a
 * flag in thread-local storage: lastcall's one __thread variable gave the
 * library a TLS block, which glibc copies and clears in every thread the
 * program starts (_dl_allocate_tls_init: +86 instructions a
 * pthread_create, callgrind on bench/thread_server). Binding is rare
 * (once a function, nearly all in the constructor), so a short table does:
 * should more threads bind at once than it holds, the others bind
 * unguarded, as a call of dlsym that recurses into no wrapper is. */
#define BINDERS 16
static _Atomic uintptr_t binders[BINDERS];

/* Claims a place for this thread: its index, BINDERS if the table is
 * full, or -1 if this thread is binding already (a recursive call). */
static int binder_enter(uintptr_t self)
{
	int free_place = BINDERS;
	for (int i = 0; i < BINDERS; i++) {
		uintptr_t held = atomic_load_explicit(&binders[i], memory_order_relaxed);
		if (held == self)
			return -1;
		if (!held && free_place == BINDERS)
			free_place = i;
	}
	/* Only this thread writes `self`: the scan above cannot miss it. */
	for (int i = free_place; i < BINDERS; i++) {
		uintptr_t expected = 0;
		if (atomic_compare_exchange_strong_explicit(&binders[i], &expected, self,
							    memory_order_relaxed,
							    memory_order_relaxed))
			return i;
	}
	return BINDERS;
}

static void binder_leave(int place)
{
	if (place < BINDERS)
		atomic_store_explicit(&binders[place], 0, memory_order_relaxed);
}

static inline __attribute__((always_inline)) long raw_syscall6(long n, long a1, long a2, long a3,
							       long a4, long a5, long a6)
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
	if (fn)
		return fn;
	int place = binder_enter((uintptr_t)pthread_self());
	if (place < 0)
		return NULL;
	int saved = errno;
	fn = dlsym(RTLD_NEXT, name);
	errno = saved;
	binder_leave(place);
	atomic_store_explicit(slot, fn, memory_order_release);
	return fn;
}

/* A slot's function, bound on first use: the load inline, so that a call
 * whose slot is hot (LC_HOT_DATA) touches no page of bind_symbol's. */
static inline void *bound(_Atomic(void *) *slot, const char *name)
{
	void *fn = atomic_load_explicit(slot, memory_order_acquire);
	return __builtin_expect(fn != NULL, 1) ? fn : bind_symbol(slot, name);
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
HOT_UNBOUND(int, epoll_wait, (int epfd, struct epoll_event *events, int max, int timeout),
	    (epfd, events, max, timeout),
	    raw_syscall6(SYS_epoll_wait, epfd, (long)events, max, timeout, 0, 0))
/* The kernel's signal set is 8 bytes (glibc's __NSIG_BYTES). */
HOT_UNBOUND(int, epoll_pwait,
	    (int epfd, struct epoll_event *events, int max, int timeout, const sigset_t *mask),
	    (epfd, events, max, timeout, mask),
	    raw_syscall6(SYS_epoll_pwait, epfd, (long)events, max, timeout, (long)mask, 8))
HOT_UNBOUND(ssize_t, __read_chk, (int fd, void *buf, size_t n, size_t size), (fd, buf, n, size),
	    raw_syscall6(SYS_read, fd, (long)buf, (long)n, 0, 0, 0))
HOT_UNBOUND(ssize_t, __recv_chk, (int fd, void *buf, size_t n, size_t size, int flags),
	    (fd, buf, n, size, flags), raw_syscall6(SYS_recvfrom, fd, (long)buf, (long)n, flags, 0, 0))
HOT_UNBOUND(ssize_t, __recvfrom_chk,
	    (int fd, void *buf, size_t n, size_t size, int flags, struct sockaddr *from,
	     socklen_t *len),
	    (fd, buf, n, size, flags, from, len),
	    raw_syscall6(SYS_recvfrom, fd, (long)buf, (long)n, flags, (long)from, (long)len))

/* The program's cancellable calls without glibc's threaded path.
 *
 * Once a process has a second thread, glibc brackets every cancellable
 * system call (read, write, accept4, close, ...) with
 * __pthread_enable_asynccancel and __pthread_disable_asynccancel: 41
 * instructions and two locked operations, about 22 ns, and libc pages
 * touched after each system call (doc/performance.md). lastcall's own
 * threads would make every single-threaded program pay that. The bracket
 * only matters to a thread that pthread_cancel reaches, and a program
 * that has created no thread cannot cancel any call but its own
 * thread's: so until the program's first pthread_create, thrd_create or
 * pthread_cancel (hook/wrappers.c), the hot slots hold lastcall's own
 * system calls below, which are what glibc's functions make in a
 * process with one thread (same numbers, same arguments, errno alike).
 * From that call on, and before it is made, they hold glibc's functions
 * again, for good.
 *
 * Only where the slot holds glibc's own function (another interposer
 * loaded after lastcall is still called), and only on x86_64, where the
 * numbers below are glibc's: recv and send are recvfrom and sendto
 * there. Not sendfile and splice, which glibc makes without the
 * bracket. */
struct own_call {
	_Atomic(void *) *slot;
	const char *name;
	void *own;
	void *glibc; /* glibc's function, once the slot holds `own` instead */
};

#if defined(__x86_64__)
LC_SERVING_CORE static ssize_t own_read(int fd, void *buf, size_t n)
{
	return raw_syscall6(SYS_read, fd, (long)buf, (long)n, 0, 0, 0);
}

LC_SERVING_CORE static ssize_t own_write(int fd, const void *buf, size_t n)
{
	return raw_syscall6(SYS_write, fd, (long)buf, (long)n, 0, 0, 0);
}

LC_SERVING_CORE static int own_epoll_wait(int epfd, struct epoll_event *events, int max,
					  int timeout)
{
	return (int)raw_syscall6(SYS_epoll_wait, epfd, (long)events, max, timeout, 0, 0);
}

LC_SERVING static int own_epoll_pwait(int epfd, struct epoll_event *events, int max, int timeout,
				      const sigset_t *mask)
{
	return (int)raw_syscall6(SYS_epoll_pwait, epfd, (long)events, max, timeout, (long)mask, 8);
}

LC_CONNECTION static int own_close(int fd)
{
	return (int)raw_syscall6(SYS_close, fd, 0, 0, 0, 0, 0);
}

LC_CONNECTION static int own_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return (int)raw_syscall6(SYS_accept, fd, (long)addr, (long)len, 0, 0, 0);
}

LC_CONNECTION static int own_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	return (int)raw_syscall6(SYS_accept4, fd, (long)addr, (long)len, flags, 0, 0);
}

LC_SERVING static ssize_t own_readv(int fd, const struct iovec *iov, int n)
{
	return raw_syscall6(SYS_readv, fd, (long)iov, n, 0, 0, 0);
}

LC_SERVING static ssize_t own_writev(int fd, const struct iovec *iov, int n)
{
	return raw_syscall6(SYS_writev, fd, (long)iov, n, 0, 0, 0);
}

LC_SERVING static ssize_t own_recv(int fd, void *buf, size_t n, int flags)
{
	return raw_syscall6(SYS_recvfrom, fd, (long)buf, (long)n, flags, 0, 0);
}

LC_SERVING static ssize_t own_send(int fd, const void *buf, size_t n, int flags)
{
	return raw_syscall6(SYS_sendto, fd, (long)buf, (long)n, flags, 0, 0);
}

LC_SERVING static ssize_t own_recvfrom(int fd, void *buf, size_t n, int flags,
				       struct sockaddr *from, socklen_t *len)
{
	return raw_syscall6(SYS_recvfrom, fd, (long)buf, (long)n, flags, (long)from, (long)len);
}

LC_SERVING static ssize_t own_sendto(int fd, const void *buf, size_t n, int flags,
				     const struct sockaddr *to, socklen_t len)
{
	return raw_syscall6(SYS_sendto, fd, (long)buf, (long)n, flags, (long)to, len);
}

LC_SERVING static ssize_t own_recvmsg(int fd, struct msghdr *msg, int flags)
{
	return raw_syscall6(SYS_recvmsg, fd, (long)msg, flags, 0, 0, 0);
}

LC_SERVING static ssize_t own_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	return raw_syscall6(SYS_sendmsg, fd, (long)msg, flags, 0, 0, 0);
}

/* The _chk variants check as glibc's do: a count larger than the buffer
 * ends the program through glibc's own __chk_fail ("buffer overflow
 * detected"). */
extern _Noreturn void __chk_fail(void);

LC_SERVING static ssize_t own___read_chk(int fd, void *buf, size_t n, size_t size)
{
	if (n > size)
		__chk_fail();
	return raw_syscall6(SYS_read, fd, (long)buf, (long)n, 0, 0, 0);
}

LC_SERVING static ssize_t own___recv_chk(int fd, void *buf, size_t n, size_t size, int flags)
{
	if (n > size)
		__chk_fail();
	return raw_syscall6(SYS_recvfrom, fd, (long)buf, (long)n, flags, 0, 0);
}

LC_SERVING static ssize_t own___recvfrom_chk(int fd, void *buf, size_t n, size_t size, int flags,
					     struct sockaddr *from, socklen_t *len)
{
	if (n > size)
		__chk_fail();
	return raw_syscall6(SYS_recvfrom, fd, (long)buf, (long)n, flags, (long)from, (long)len);
}

static struct own_call own_calls[] = {
	{&lc_real_read_slot, "read", (void *)own_read, NULL},
	{&lc_real_write_slot, "write", (void *)own_write, NULL},
	{&lc_real_close_slot, "close", (void *)own_close, NULL},
	{&lc_real_accept_slot, "accept", (void *)own_accept, NULL},
	{&lc_real_accept4_slot, "accept4", (void *)own_accept4, NULL},
	{&lc_real_readv_slot, "readv", (void *)own_readv, NULL},
	{&lc_real_writev_slot, "writev", (void *)own_writev, NULL},
	{&lc_real_recv_slot, "recv", (void *)own_recv, NULL},
	{&lc_real_send_slot, "send", (void *)own_send, NULL},
	{&lc_real_recvfrom_slot, "recvfrom", (void *)own_recvfrom, NULL},
	{&lc_real_sendto_slot, "sendto", (void *)own_sendto, NULL},
	{&lc_real_recvmsg_slot, "recvmsg", (void *)own_recvmsg, NULL},
	{&lc_real_sendmsg_slot, "sendmsg", (void *)own_sendmsg, NULL},
	{&lc_real_epoll_wait_slot, "epoll_wait", (void *)own_epoll_wait, NULL},
	{&lc_real_epoll_pwait_slot, "epoll_pwait", (void *)own_epoll_pwait, NULL},
	{&lc_real___read_chk_slot, "__read_chk", (void *)own___read_chk, NULL},
	{&lc_real___recv_chk_slot, "__recv_chk", (void *)own___recv_chk, NULL},
	{&lc_real___recvfrom_chk_slot, "__recvfrom_chk", (void *)own___recvfrom_chk, NULL},
};
#define OWN_CALLS (sizeof own_calls / sizeof own_calls[0])
#else
static struct own_call own_calls[1];
#define OWN_CALLS 0
#endif

static pthread_mutex_t own_lock = PTHREAD_MUTEX_INITIALIZER;
/* Written under own_lock; loaded by every pthread_create (a thread per
 * connection: every new connection), with the rest of its data. */
static _Atomic bool program_threads LC_HOT_DATA(2);

/* After the slots are bound (the constructor). */
static void own_calls_begin(void)
{
#if defined(__x86_64__)
	void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	if (!libc)
		return;
	pthread_mutex_lock(&own_lock);
	for (size_t i = 0; i < OWN_CALLS && !atomic_load(&program_threads); i++) {
		struct own_call *c = &own_calls[i];
		void *glibc = dlsym(libc, c->name);
		if (!glibc || atomic_load(c->slot) != glibc)
			continue;
		c->glibc = glibc;
		atomic_store_explicit(c->slot, c->own, memory_order_release);
	}
	pthread_mutex_unlock(&own_lock);
	dlclose(libc);
#endif
}

LC_CONNECTION void lc_real_program_threads(void)
{
	if (atomic_load_explicit(&program_threads, memory_order_acquire))
		return;
	int saved = errno;
	pthread_mutex_lock(&own_lock);
	atomic_store(&program_threads, true);
	for (size_t i = 0; i < OWN_CALLS; i++)
		if (own_calls[i].glibc)
			atomic_store_explicit(own_calls[i].slot, own_calls[i].glibc,
					      memory_order_release);
	pthread_mutex_unlock(&own_lock);
	errno = saved;
}

/* A fork while another thread was giving the calls back leaves the lock
 * held in the child, which has one thread: either kind of call is right
 * there, and its own first thread finishes the change. A thread binding
 * in the parent is not in the child either: its place is freed, lest a
 * new thread of the child with the same pthread_self() be taken for it. */
void lc_real_forget_in_child(void)
{
	pthread_mutex_init(&own_lock, NULL);
	for (int i = 0; i < BINDERS; i++)
		atomic_store_explicit(&binders[i], 0, memory_order_relaxed);
}

bool lc_real_own_calls(void)
{
	for (size_t i = 0; i < OWN_CALLS; i++)
		if (atomic_load(own_calls[i].slot) == own_calls[i].own)
			return true;
	return false;
}

_Atomic intptr_t lc_errno_offset LC_HOT_DATA(2);

void lc_errno_measure(void)
{
	char *tp = lc_thread_pointer();
	if (tp)
		atomic_store_explicit(&lc_errno_offset, (char *)__errno_location() - tp,
				      memory_order_relaxed);
}

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
		{&lc_real_splice_slot, "splice"},     {&lc_real_epoll_wait_slot, "epoll_wait"},
		{&lc_real_epoll_pwait_slot, "epoll_pwait"},
		{&lc_real___read_chk_slot, "__read_chk"},
		{&lc_real___recv_chk_slot, "__recv_chk"},
		{&lc_real___recvfrom_chk_slot, "__recvfrom_chk"},
	};
	for (size_t i = 0; i < sizeof hot / sizeof hot[0]; i++)
		bind_symbol(hot[i].slot, hot[i].name);
	own_calls_begin();
}

/* A server that starts a thread per connection comes here for each: its
 * slot and code sit with the rest of a new connection's (LC_HOT_DATA,
 * LC_CONNECTION), not on pages of their own. */
_Atomic(void *) lc_real_pthread_create_slot LC_HOT_DATA(1);

LC_CONNECTION int lc_real_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
					 void *(*start)(void *), void *arg)
{
	int (*real_fn)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *) =
		bound(&lc_real_pthread_create_slot, "pthread_create");
	return real_fn ? real_fn(thread, attr, start, arg) : EAGAIN;
}

int lc_real_pthread_cancel(pthread_t thread)
{
	BIND(int (*)(pthread_t), pthread_cancel);
	return real_fn ? real_fn(thread) : ESRCH;
}

int lc_real_thrd_create(thrd_t *thread, thrd_start_t start, void *arg)
{
	BIND(int (*)(thrd_t *, thrd_start_t, void *), thrd_create);
	return real_fn ? real_fn(thread, start, arg) : thrd_error;
}

int lc_real_listen(int fd, int backlog)
{
	BIND(int (*)(int, int), listen);
	if (!real_fn)
		return (int)raw_syscall6(SYS_listen, fd, backlog, 0, 0, 0, 0);
	return real_fn(fd, backlog);
}

/* An event loop registers each new connection: the slot sits with the
 * rest of a new connection's data, not on a page of its own. */
_Atomic(void *) lc_real_epoll_ctl_slot LC_HOT_DATA(1);

LC_CONNECTION int lc_real_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event)
{
	int (*real_fn)(int, int, int, struct epoll_event *) =
		bound(&lc_real_epoll_ctl_slot, "epoll_ctl");
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
