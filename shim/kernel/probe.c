/* A connection as the kernel sees it (see probe.h). */
#include "kernel/probe.h"

#include <linux/sockios.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

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
		/* Bytes the peer acknowledged: plus SIOCOUTQ (unacknowledged and
		 * unsent), all the bytes the program wrote. */
		out->bytes_acked = info.tcpi_bytes_acked;
		out->ms_since_data_recv = info.tcpi_last_data_recv;
		out->ms_since_data_sent = info.tcpi_last_data_sent;
		out->ms_since_ack_recv = info.tcpi_last_ack_recv;
		out->backoff = info.tcpi_backoff;
		out->rto_ms = info.tcpi_rto / 1000;
		if (len >= offsetof(struct tcp_info, tcpi_snd_wnd) + sizeof info.tcpi_snd_wnd) {
			out->peer_window_known = true;
			out->peer_window = info.tcpi_snd_wnd;
		}
	}
	return 0;
}
