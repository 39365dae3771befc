/* The drain thread's view of the program's connections: checked against
 * the kernel, classified idle or busy, idle ones closed, the rest listed
 * when a deadline cuts them (SPEC step 4 and 7). */
#ifndef LASTCALL_CONNECTIONS_H
#define LASTCALL_CONNECTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/addr.h"
#include "judge/idle.h"
#include "kernel/probe.h"
#include "track/fdtable.h"

struct lc_scan {
	long open;	      /* connections still open */
	long busy;	      /* of which busy */
	long closed_idle;     /* idle ones shut down by this scan */
	long closed_by_protocol; /* of which the protocol said were done */
	long closed_after_quiet; /* WebSockets lastcall sent Close 1001 after the quiet
				  * time: a guess, counted apart */
	int64_t next_change_ns; /* when a first-request grace ends (0: none) */
};

/* Checks every tracked connection; with close_idle, shuts down the idle
 * ones (the program then reads EOF and closes them itself). */
void lc_connections_scan(struct lc_fdtable *t, int64_t now_ns, bool close_idle,
			 struct lc_scan *out);

/* One look at a connection: the kernel's view and, for HTTP/1.x whose
 * framing lastcall followed, the protocol's (SPEC step 4). */
struct lc_conn_look {
	bool probed; /* the kernel answered */
	struct lc_conn_probe probe;
	enum lc_activity activity;
	bool by_protocol; /* decided by the framing, not by timing */
	bool finished;	  /* the protocol said it is done (Connection: close sent) */
	int64_t recheck_ns; /* a keep-alive grace ends then (CLOCK_MONOTONIC; 0: none) */
	bool ws_goodbye_due; /* a quiet WebSocket: Close 1001 first, the close after */
	int64_t ws_quiet_ns; /* how long it has been quiet both ways, then */
	char what[96];	    /* where it stands, for the log, the report, /status */
};
/* `history_slot`: the drain thread's memory of the previous look (NULL
 * from other threads). */
void lc_connection_look(struct lc_fdtable *t, int fd, const struct lc_fd_snapshot *seen,
			struct lc_conn_look *out, void *history_slot);
/* The drain thread's history slot for fd (a new socket, ino, starts
 * afresh); NULL if memory ran out. */
void *lc_connection_history(int fd, uint64_t ino);

/* One connection as a deadline found it. */
struct lc_conn_view {
	int fd;
	char peer[LC_ADDR_TEXT];
	char local[LC_ADDR_TEXT];
	unsigned local_port;
	int64_t age_ns;
	bool busy;
	uint32_t unread, unsent;
	char what[96]; /* the protocol's word, if followed */
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
