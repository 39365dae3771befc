/* Layer kernel/: what the kernel says, deciding nothing. Open descriptors
 * and blocked threads from /proc (fdscan), sockets by address through
 * sock_diag (sockdiag), one connection's bytes and clocks (this file).
 * May call: base/.
 *
 * A connection as the kernel sees it: unread and unsent bytes (FIONREAD,
 * SIOCOUTQ) and TCP_INFO's counters and clocks. Read without touching the
 * program's reads or writes; judge/idle.c turns it into a verdict. */
#ifndef LASTCALL_PROBE_H
#define LASTCALL_PROBE_H

#include <stdbool.h>
#include <stdint.h>

struct lc_conn_probe {
	bool tcp;		/* TCP_INFO available (else: Unix socket etc.) */
	uint32_t unread;	/* FIONREAD */
	uint32_t unsent;	/* SIOCOUTQ */
	uint64_t bytes_received;
	uint64_t bytes_sent;
	uint64_t bytes_acked;
	uint32_t ms_since_data_recv;
	uint32_t ms_since_data_sent;
	uint32_t ms_since_ack_recv;
	uint8_t tcp_state;
	/* Why queued bytes do not move: the retransmission timer's backoff
	 * (0: not retransmitting) and the client's advertised window
	 * (tcpi_snd_wnd, Linux 6.2+; peer_window_known says if it was read). */
	uint8_t backoff;
	bool peer_window_known;
	uint32_t peer_window;
	uint32_t rto_ms;
	/* Without TCP_INFO (Unix sockets): what the program's threads do. */
	bool reader_waiting;	 /* a thread is blocked reading this fd */
	bool readers_elsewhere; /* threads block reading other connections */
};

/* Reads the probe for a socket. Returns -1 (errno set) if fd is not a
 * socket we can inspect. */
int lc_probe_connection(int fd, struct lc_conn_probe *out);

#endif
