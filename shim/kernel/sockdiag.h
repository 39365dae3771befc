/* Half-open connections, from the kernel's socket diagnostics (netlink
 * sock_diag, as `ss -t state syn-recv` reads them).
 *
 * When a listener's accept queue is full the kernel drops the final ACK of
 * a handshake: the client believes it is connected and sends its request,
 * while the server holds only a SYN_RECV request socket that completes
 * when a retransmission finds room. TCP_INFO's queue length does not count
 * these; stopping the listener would reset every one of them. */
#ifndef LASTCALL_SOCKDIAG_H
#define LASTCALL_SOCKDIAG_H

#include <stdint.h>

/* A counter of /proc/net/netstat's TcpExt line ("TCPDeferAcceptDrop"),
 * for this network namespace, or -1. */
long lc_tcpext_counter(const char *name);

/* Bytes a TCP socket still has to deliver (sent but unacknowledged, or
 * unsent), looked up by its addresses: it works after the program closed
 * the socket (the kernel keeps it, orphaned, until its queue empties; a
 * container's network going away would cut that short). Returns 0 when
 * the socket is gone, -1 if the kernel cannot say. */
struct sockaddr_storage;
long lc_tcp_send_queue(const struct sockaddr_storage *local, const struct sockaddr_storage *peer);

/* Reply bytes not yet acknowledged, from a socket's TCP state and its
 * send queue as sock_diag reports it (idiag_wqueue: write_seq - snd_una).
 * Once the socket is closed the FIN takes a sequence number too: in
 * FIN_WAIT1, CLOSING and LAST_ACK a queue of 1 is the FIN alone, every
 * reply byte delivered. Its ACK can wait on the peer's delayed-ACK timer
 * (40 ms), which must not hold up the exit phase. */
long lc_reply_bytes_unacked(unsigned tcp_state, unsigned wqueue);

/* Connections waiting in a Unix-domain listener's queue (by the
 * listener's inode), or -1. */
long lc_unix_backlog(uint64_t ino);

/* Inodes of the connected TCP sockets whose local port is one of
 * `ports`: inbound connections on this process's listeners, wherever
 * they are held (a prefork worker). Returns how many (up to max), or -1. */
int lc_inbound_inodes(const unsigned *ports, int nports, uint64_t *out, int max);

/* Closed TCP sockets (no owner left: FIN_WAIT1, CLOSING, LAST_ACK) whose
 * local port is one of `ports` and that still hold reply bytes to
 * deliver: connections a prefork worker closed after writing its last
 * bytes into the kernel. Returns how many, or -1. */
long lc_orphans_sending(const unsigned *ports, int nports);

/* Is a TCP socket listening on local port `port` (any address, IPv4 or
 * IPv6, any process of this network namespace)? 1 or 0, -1 if the kernel
 * cannot say. */
int lc_tcp_port_listening(unsigned port);

/* Number of SYN_RECV sockets with local port `port` (IPv4 and IPv6), or
 * -1 if the kernel cannot say. */
long lc_syn_recv_count(unsigned port);

#endif
