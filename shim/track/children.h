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
/* The ports of the listeners this process owns: connections on them held
 * by a child (a prefork worker) are waited for too. */
void lc_children_set_ports(const unsigned *ports, int n);

/* Children still alive and holding our connections: those they were
 * forked with, and inbound connections on our listeners. With close_idle,
 * their idle ones are shut down (counted in *closed_idle) and only those
 * with busy ones are returned. Fills `pidfds` (readable when the child
 * exits). `age_ns` stands in for the unknown age of a child's connection. */
int lc_children_holding(int *pidfds, int max, int64_t age_ns, bool close_idle, long *closed_idle);

/* Replies on our listeners' connections that a child closed with bytes
 * still queued (orphaned sockets the kernel is still sending): a prefork
 * worker's last megabytes of a download. 0 in a process that never
 * forked (the dump walks every TCP socket of the host). */
long lc_children_replies_leaving(void);

/* Is a live child that was forked with this connection (by inode) still
 * holding it? Such a connection is busy whatever its TCP state says: a
 * CGI script writes its output through it after the parent's own headers
 * went out. One closed in the child (close-on-exec) is not held. */
bool lc_children_hold(uint64_t ino);

/* At the shutdown signal: the listeners this process has then (a prefork
 * worker still holds them after the stop puts stand-ins in the table). */
void lc_children_remember_listeners(void);
/* Once the listeners are closed and their backlog served, in a process
 * that hands connections to others (lc_rt.hands_connections: node's
 * cluster primary): direct children that serve under lastcall and share
 * none of those listeners (its workers, handed each connection) get the
 * signal unless they are draining already, and are waited for until they
 * exit: each drains its own connections, by their protocol. Not earlier:
 * a worker must not finish while connections are still being handed to
 * it. Fills up to `max` of their pids; returns how many. */
int lc_children_forward(int sig, pid_t *forwarded, int max);

#endif
