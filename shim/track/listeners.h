/* Listeners: found in the kernel's fd table, stopped without resetting the
 * connections in their backlog (SPEC step 3, LINUX-NOTES "zero-drop"). */
#ifndef LASTCALL_LISTENERS_H
#define LASTCALL_LISTENERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/addr.h"
#include "track/fdtable.h"

#define LC_MAX_LISTENERS 256

/* Who decides when a listener stops (README: "Shared listeners"). */
enum lc_listener_role {
	LC_LISTENER_OWNED,     /* listen() was called here, or no one else is
				* known to hold it: stopped by this process */
	LC_LISTENER_INHERITED, /* from a live parent by fork (prefork worker):
				* the owner stops it; this process steps out */
	LC_LISTENER_MANAGED,   /* socket activation: the manager keeps it and
				* queues for the next start; we step out */
};

struct lc_listener {
	int fd;
	enum lc_listener_role role;
	pid_t owner;
	int family;
	bool tcp;
	bool syn_blocked;
	unsigned port; /* 0 for non-IP listeners */
	bool shared;   /* other processes hold it too: closing ours is not enough */
	char local[LC_ADDR_TEXT];
};

struct lc_listener_set {
	int count;
	struct lc_listener items[LC_MAX_LISTENERS];
};

/* Every listening stream socket of the process except `skip_fd` (the
 * health endpoint) and listeners lastcall already stopped. */
void lc_listeners_find(struct lc_fdtable *t, struct lc_listener_set *set, int skip_fd);

/* Segments the kernel dropped on this listener so far (SO_MEMINFO's
 * sk_drops), or -1. A full accept queue counts here: a dropped SYN (its
 * client retries and is refused after the stop) and a dropped final ACK
 * (its client believes it is connected). Read before the stop's own SYN
 * filter, whose drops count too. */
long lc_listener_drops(const struct lc_listener *l);

/* Handshakes this listener dropped because its accept queue was full,
 * as far as the kernel tells: lc_listener_drops(), less what a deferred
 * accept (TCP_DEFER_ACCEPT, apache2's default "AcceptFilter http data")
 * drops by design -- every client's bare final ACK, until its data comes.
 * Those drops are only counted for the whole network namespace
 * (TCPDeferAcceptDrop): a deferring listener's drops count as overflow
 * only beyond that. Read before the stop's SYN filter. */
long lc_listener_overflow_drops(const struct lc_listener *l);

/* The accept queue is at its limit now. */
bool lc_listener_queue_full(const struct lc_listener *l);

/* The accept queue's limit (the program's listen() backlog, capped by
 * net.core.somaxconn), or -1. */
long lc_listener_backlog_limit(const struct lc_listener *l);

/* Drops new handshakes (pure SYNs) on a TCP listener while letting the
 * final ACKs of handshakes already under way complete into the backlog. */
int lc_listener_block_syn(struct lc_listener *l);

/* Connections waiting in the accept queue; -1 when the kernel cannot say
 * (non-TCP). */
long lc_listener_backlog(const struct lc_listener *l);

/* Records a listener the program created (the listen wrapper). */
void lc_listener_created(struct lc_fdtable *t, int fd);

/* Stops accepting on `fd` in this process only, leaving the socket to the
 * others that hold it: the fd is pointed at the inert stand-in. */
int lc_listener_step_out(struct lc_fdtable *t, int fd);

/* Is the socket behind fd still a listening socket? */
bool lc_still_listening(int fd);

/* Stops listening: a new connect is refused at once, a thread blocked in
 * accept stays blocked, a nonblocking accept gets EAGAIN, an event loop is
 * not woken again. See listeners.c for how. */
int lc_listener_stop(struct lc_fdtable *t, struct lc_listener *l);

#endif
