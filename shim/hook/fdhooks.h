/* What lastcall does around the program's descriptor calls (layer 2 of 3:
 * wrappers.c exports them, real.c reaches the C library). Outside
 * shutdown each costs one O(1) table lookup; accept adds one fstat for the
 * socket's identity. errno is always the real call's. */
#ifndef LASTCALL_FDHOOKS_H
#define LASTCALL_FDHOOKS_H

#include <stdio.h>
#include <sys/socket.h>

int lc_accept(int fd, struct sockaddr *addr, socklen_t *len, int flags, int is_accept4);
int lc_listen(int fd, int backlog);
struct epoll_event;
int lc_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);
int lc_close(int fd);
int lc_close_range(unsigned first, unsigned last, int flags);
void lc_closefrom(int lowfd);
int lc_fclose(FILE *f);
int lc_dup(int fd);
int lc_dup2(int oldfd, int newfd);
int lc_dup3(int oldfd, int newfd, int flags);
int lc_fcntl(int fd, int cmd, long arg);
long lc_syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);
/* The program received descriptors (SCM_RIGHTS in `msg`, after recvmsg
 * returned): inbound connections among them are tracked as if accepted
 * here. node's cluster (round-robin, its default on Linux) accepts in the
 * primary and hands each connection to a worker this way; the worker
 * never listens nor accepts. errno is kept. */
struct msghdr;
void lc_received_descriptors(const struct msghdr *msg);
/* The program sent descriptors (SCM_RIGHTS in `msg`, after sendmsg
 * succeeded): handing over a connection of ours marks this process as one
 * that feeds workers (lc_rt.hands_connections). errno is kept. */
void lc_sent_descriptors(const struct msghdr *msg);

#endif
