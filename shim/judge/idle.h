/* Layer judge/: verdicts. Is a connection idle or busy, from kernel/'s
 * probe and what the previous look saw; the quiet rules. Protocol
 * framing (what a program's reads and writes say of where an answer
 * ends) belongs here too. May call: base/ (the quiet time depends on
 * whether the program asks lastcall_shutting_down()).
 *
 * Is a connection idle or busy? Decided from kernel TCP state alone, so it
 * costs nothing while serving and knows no protocol (SPEC step 4).
 *
 * Idle: nothing unread, nothing unsent, and the program's reply was the last
 * thing on the wire. A connection on which the client has sent nothing yet
 * is busy for its first 2 s (its request is on the way). */
#ifndef LASTCALL_IDLE_H
#define LASTCALL_IDLE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/probe.h"

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


/* What the drain thread saw at its previous look at the same connection. */
struct lc_conn_history {
	bool seen;
	uint64_t bytes_received;
	uint64_t bytes_sent;
};

enum lc_activity { LC_BUSY = 0, LC_IDLE = 1 };

/* `reply_quiet_ms`: how old the last data sent must be for an idle verdict
 * (LC_REPLY_QUIET_MS, or LC_STREAM_QUIET_MS). */
/* The reply quiet time in force: LC_STREAM_QUIET_MS once the program
 * has asked lastcall_shutting_down(), else LC_REPLY_QUIET_MS. */
uint32_t lc_reply_quiet_ms(void);

enum lc_activity lc_classify(const struct lc_conn_probe *p, const struct lc_conn_history *h,
			     int64_t age_ns, uint32_t reply_quiet_ms);

#endif
