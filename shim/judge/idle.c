/* Idle/busy classification from TCP_INFO, FIONREAD and SIOCOUTQ. */
#include "judge/idle.h"

#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

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

int lc_probe_connection(int fd, struct lc_conn_probe *out)
{
	int unread = 0, unsent = 0;
	memset(out, 0, sizeof *out);
	if (ioctl(fd, FIONREAD, &unread) < 0 || ioctl(fd, SIOCOUTQ, &unsent) < 0)
		return -1;
	out->unread = unread > 0 ? (uint32_t)unread : 0;
	out->unsent = unsent > 0 ? (uint32_t)unsent : 0;

	struct tcp_info info;
	socklen_t len = sizeof info;
	memset(&info, 0, sizeof info);
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0 &&
	    len >= offsetof(struct tcp_info, tcpi_bytes_received) + sizeof info.tcpi_bytes_received) {
		out->tcp = true;
		out->tcp_state = info.tcpi_state;
		out->bytes_received = info.tcpi_bytes_received;
		/* tcpi_bytes_sent arrived in Linux 4.19; bytes_acked is older. */
		out->bytes_sent = len >= offsetof(struct tcp_info, tcpi_bytes_sent) +
						 sizeof info.tcpi_bytes_sent
					  ? info.tcpi_bytes_sent
					  : info.tcpi_bytes_acked;
		out->ms_since_data_recv = info.tcpi_last_data_recv;
		out->ms_since_data_sent = info.tcpi_last_data_sent;
		out->ms_since_ack_recv = info.tcpi_last_ack_recv;
	}
	return 0;
}
