/* lastcall.h: lastcall_shutdown_fd(), a descriptor that becomes readable
 * at the first shutdown signal (see shutdown_fd.c). */
#ifndef LASTCALL_SHUTDOWN_FD_H
#define LASTCALL_SHUTDOWN_FD_H

/* The drain noticed the first shutdown signal: makes the descriptor
 * readable (if the program asked for one). From lastcall's drain thread. */
void lc_shutdown_fd_fire(void);

/* In a forked child (atfork): the inherited numbers now name a pipe of
 * the child's own, so neither process's signal wakes the other. */
void lc_shutdown_fd_forget_in_child(void);

#endif
