/* Children that hold the parent's connections (fork-per-connection
 * servers: inetd style, Python's ForkingMixIn). The parent closes its copy
 * right after fork, so its own table goes empty while the child is still
 * answering; the drain waits for such children — without reaping them, so
 * the program's own wait() still sees them (a pidfd is readable once the
 * child has exited, reaped or not). */
#ifndef LASTCALL_CHILDREN_H
#define LASTCALL_CHILDREN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define LC_MAX_CHILDREN 1024

/* In the parent, right after fork() returned `pid`. */
void lc_children_note_fork(pid_t pid);
/* In a new child: its parent's children are not its own. */
void lc_children_reset(void);
/* Children still alive and still holding one of the connections they were
 * forked with. Fills `pidfds` (for poll: readable when the child exits). */
int lc_children_holding(int *pidfds, int max);

/* Is a live child forked with this connection (by inode)? Such a
 * connection is busy whatever its TCP state says: a CGI script writes its
 * output through it after the parent's own headers went out. */
bool lc_children_hold(uint64_t ino);

#endif
