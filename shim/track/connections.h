/* The drain thread's view of the program's connections: checked against
 * the kernel, classified idle or busy, idle ones closed, the rest listed
 * when a deadline cuts them (SPEC step 4 and 7). */
#ifndef LASTCALL_CONNECTIONS_H
#define LASTCALL_CONNECTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/addr.h"
#include "track/fdtable.h"

struct lc_scan {
	long open;	      /* connections still open */
	long busy;	      /* of which busy */
	long closed_idle;     /* idle ones shut down by this scan */
	int64_t next_change_ns; /* when a first-request grace ends (0: none) */
};

/* Checks every tracked connection; with close_idle, shuts down the idle
 * ones (the program then reads EOF and closes them itself). */
void lc_connections_scan(struct lc_fdtable *t, int64_t now_ns, bool close_idle,
			 struct lc_scan *out);

/* One connection as a deadline found it. */
struct lc_conn_view {
	int fd;
	char peer[LC_ADDR_TEXT];
	char local[LC_ADDR_TEXT];
	unsigned local_port;
	int64_t age_ns;
	bool busy;
	uint32_t unread, unsent;
};

/* Logs each remaining connection (peer, local port, age, busy or idle,
 * unread and unsent bytes) and, with cut, shuts it down. Returns how many
 * there were, and what it saw of the first `max` in `seen` (for the
 * report: the scanner returns what it saw, tell/report.c records it).
 * `from_watchdog`: called outside the drain thread, which owns the
 * per-connection history. */
long lc_connections_cut(struct lc_fdtable *t, bool cut, bool from_watchdog,
			struct lc_conn_view *seen, int max);

#endif
