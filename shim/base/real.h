/* The real C library functions behind every wrapper (layer 1 of 3).
 *
 * Bound lazily with dlsym(RTLD_NEXT): other libraries' constructors may
 * call a wrapped function before our constructor runs. Inside lastcall,
 * always call these, never the plain names: the plain names resolve to our
 * own exported wrappers. */
#ifndef LASTCALL_REAL_H
#define LASTCALL_REAL_H

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/types.h>

pid_t lc_real_fork(void);
_Noreturn void lc_real_exit(int status);
/* Ends the process now, through the system call itself: a deadline that
 * holds even where _exit() is interposed (a sanitizer runtime's _exit
 * runs its finaliser, which takes locks: seen hanging a forking program
 * past its deadline under TSan). */
_Noreturn void lc_exit_group(int status);
int lc_real_listen(int fd, int backlog);
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
