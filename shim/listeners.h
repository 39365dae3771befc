/* Listeners: found in the kernel's fd table, stopped without resetting the
 * connections in their backlog (SPEC step 3, LINUX-NOTES "zero-drop"). */
#ifndef LASTCALL_LISTENERS_H
#define LASTCALL_LISTENERS_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "fdtable.h"

#define LC_MAX_LISTENERS 256

struct lc_listener {
	int fd;
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

/* Drops new handshakes (pure SYNs) on a TCP listener while letting the
 * final ACKs of handshakes already under way complete into the backlog. */
int lc_listener_block_syn(struct lc_listener *l);

/* Connections waiting in the accept queue; -1 when the kernel cannot say
 * (non-TCP). */
long lc_listener_backlog(const struct lc_listener *l);

/* Stops listening: a new connect is refused at once, a thread blocked in
 * accept stays blocked, a nonblocking accept gets EAGAIN, an event loop is
 * not woken again. See listeners.c for how. */
int lc_listener_stop(struct lc_fdtable *t, struct lc_listener *l);

#endif
