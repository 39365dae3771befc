/* Idle/busy verdicts from what the kernel says of a connection (see
 * idle.h). */
#include "judge/idle.h"

#include <stdatomic.h>

#include "base/runtime.h"

uint32_t lc_reply_quiet_ms(void)
{
	return atomic_load_explicit(&lc_rt.program_asks, memory_order_relaxed) ? LC_STREAM_QUIET_MS
										: LC_REPLY_QUIET_MS;
}

static enum lc_activity classify(const struct lc_conn_probe *p, const struct lc_conn_history *h,
				 int64_t age_ns);

enum lc_activity lc_classify(const struct lc_conn_probe *p, const struct lc_conn_history *h,
			     int64_t age_ns, uint32_t reply_quiet_ms)
{
	enum lc_activity activity = classify(p, h, age_ns);
	if (activity == LC_IDLE && p->tcp && p->bytes_sent > 0 &&
	    p->ms_since_data_sent < reply_quiet_ms)
		return LC_BUSY; /* maybe between two writes of one reply (idle.h) */
	return activity;
}

static enum lc_activity classify(const struct lc_conn_probe *p, const struct lc_conn_history *h,
				 int64_t age_ns)
{
	if (p->unread > 0 || p->unsent > 0)
		return LC_BUSY;
	if (!p->tcp) {
		/* No TCP_INFO (Unix sockets): no clock, no counters. A thread
		 * blocked reading it waits for the next request: idle. If the
		 * program's threads do block reading connections, this one's
		 * thread is at work: busy. An event loop shows neither; there
		 * only the first-request grace tells. */
		if (p->reader_waiting)
			return LC_IDLE;
		if (p->readers_elsewhere)
			return LC_BUSY;
		return age_ns < LC_FIRST_REQUEST_GRACE_NS ? LC_BUSY : LC_IDLE;
	}
	if (p->bytes_received == 0)
		return age_ns < LC_FIRST_REQUEST_GRACE_NS ? LC_BUSY : LC_IDLE;
	/* Asked, never answered. (For a connection that never sent data,
	 * TCP's "last data sent" stamp is the accept time, which a quick
	 * first request ties with.) */
	if (p->bytes_sent == 0)
		return LC_BUSY;

	if (h && h->seen) {
		bool got = p->bytes_received > h->bytes_received;
		bool sent = p->bytes_sent > h->bytes_sent;
		if (got && !sent)
			return LC_BUSY; /* a request arrived, no reply since */
		if (sent && !got)
			return LC_IDLE; /* the program answered since */
	}
	if (p->ms_since_data_sent < p->ms_since_data_recv)
		return LC_IDLE;
	if (p->ms_since_data_sent > p->ms_since_data_recv)
		return LC_BUSY;
	/* Tie. An ACK strictly after the client's last data acknowledged
	 * our reply: the reply came last. */
	if (p->ms_since_ack_recv < p->ms_since_data_recv)
		return LC_IDLE;
	return p->ms_since_data_recv >= LC_TIE_QUIET_MS ? LC_IDLE : LC_BUSY;
}
