/* The real C library functions behind every wrapper (layer 1 of 3).
 *
 * Bound lazily with dlsym(RTLD_NEXT): other libraries' constructors may
 * call a wrapped function before our constructor runs. Inside lastcall,
 * always call these, never the plain names: the plain names resolve to our
 * own exported wrappers. */
#ifndef LASTCALL_REAL_H
#define LASTCALL_REAL_H

#include <signal.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/types.h>

pid_t lc_real_fork(void);
int lc_real_accept(int fd, struct sockaddr *addr, socklen_t *len);
int lc_real_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int lc_real_listen(int fd, int backlog);
int lc_real_close(int fd);
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
