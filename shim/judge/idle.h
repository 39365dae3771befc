/* Is a connection idle or busy? Decided from kernel TCP state alone, so it
 * costs nothing while serving and knows no protocol (SPEC step 4).
 *
 * Idle: nothing unread, nothing unsent, and the program's reply was the last
 * thing on the wire. A connection on which the client has sent nothing yet
 * is busy for its first 2 s (its request is on the way). */
#ifndef LASTCALL_IDLE_H
#define LASTCALL_IDLE_H

#include <stdbool.h>
#include <stdint.h>

#define LC_FIRST_REQUEST_GRACE_NS (2000LL * 1000000LL)
/* TCP_INFO's "ms since last data" stamps are jiffies (4 ms at HZ=250): a
 * fast request and its reply often share one. Such a tie is decided by
 * later changes in the byte counters; a tie on a connection silent this
 * long either way is taken as idle. */
#define LC_TIE_QUIET_MS 250
/* A reply is often written in parts (header, then body) with microseconds
 * between, or a preempted thread's scheduler slice: between them the
 * reply "came last" and the connection looks idle, and shutting it down
 * then makes the next write fail with EPIPE (SIGPIPE kills a program that
 * never expected it). So a connection counts as idle only once its last
 * data sent is this old. */
#define LC_REPLY_QUIET_MS 50
/* A program that asks lastcall_shutting_down() ends its own streams, at
 * its next write after the signal: its connections count as idle only once
 * their last data sent is this old, time for a stream between two writes
 * (a token every 100 ms, say) to see the shutdown and send its end. Still
 * "well within a second" for an idle keep-alive (SPEC step 4). */
#define LC_STREAM_QUIET_MS 500

struct lc_conn_probe {
	bool tcp;		/* TCP_INFO available (else: Unix socket etc.) */
	uint32_t unread;	/* FIONREAD */
	uint32_t unsent;	/* SIOCOUTQ */
	uint64_t bytes_received;
	uint64_t bytes_sent;
	uint32_t ms_since_data_recv;
	uint32_t ms_since_data_sent;
	uint32_t ms_since_ack_recv;
	uint8_t tcp_state;
	/* Without TCP_INFO (Unix sockets): what the program's threads do. */
	bool reader_waiting;	 /* a thread is blocked reading this fd */
	bool readers_elsewhere; /* threads block reading other connections */
};

/* What the drain thread saw at its previous look at the same connection. */
struct lc_conn_history {
	bool seen;
	uint64_t bytes_received;
	uint64_t bytes_sent;
};

enum lc_activity { LC_BUSY = 0, LC_IDLE = 1 };

/* `reply_quiet_ms`: how old the last data sent must be for an idle verdict
 * (LC_REPLY_QUIET_MS, or LC_STREAM_QUIET_MS). */
enum lc_activity lc_classify(const struct lc_conn_probe *p, const struct lc_conn_history *h,
			     int64_t age_ns, uint32_t reply_quiet_ms);

/* Reads the probe for a socket. Returns -1 (errno set) if fd is not a
 * socket we can inspect. */
int lc_probe_connection(int fd, struct lc_conn_probe *out);

#endif
