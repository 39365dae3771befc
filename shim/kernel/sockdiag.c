/* SYN_RECV counting through NETLINK_SOCK_DIAG (see sockdiag.h). */
#include "kernel/sockdiag.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/fdroom.h"
#include "base/real.h"

#define TCP_STATE_SYN_RECV 3

typedef void (*diag_visitor)(const struct inet_diag_msg *d, void *ctx);

/* Dumps the TCP sockets of one family in `states` (a bit per TCP state)
 * and shows each to `visit`. Returns 0, or -1 if the kernel cannot say. */
static int diag_dump(int nl, int family, unsigned states, diag_visitor visit, void *ctx)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg;
	memset(&msg, 0, sizeof msg);
	msg.nlh.nlmsg_len = sizeof msg;
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.req.sdiag_family = (unsigned char)family;
	msg.req.sdiag_protocol = IPPROTO_TCP;
	msg.req.idiag_states = states;
	if (lc_real_send(nl, &msg, sizeof msg, 0) < 0)
		return -1;
	char buf[16384] __attribute__((aligned(8)));
	for (;;) {
		ssize_t n = lc_real_recv(nl, buf, sizeof buf, 0);
		if (n <= 0)
			return -1;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (unsigned)n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return -1;
			visit(NLMSG_DATA(h), ctx);
		}
	}
}

/* Both families, through one netlink socket. */
static int diag_dump_all(unsigned states, diag_visitor visit, void *ctx)
{
	int nl = LC_WITH_ROOM(socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
	if (nl < 0)
		return -1;
	int r = diag_dump(nl, AF_INET, states, visit, ctx);
	if (r == 0)
		r = diag_dump(nl, AF_INET6, states, visit, ctx);
	lc_real_close(nl);
	return r;
}

/* A port, and how many sockets in the state looked for have it. */
struct syn_recv_search {
	unsigned port;
	long count;
};

static void count_syn_recv(const struct inet_diag_msg *d, void *opaque)
{
	struct syn_recv_search *search = opaque;
	if (d->idiag_state == TCP_STATE_SYN_RECV && ntohs(d->id.idiag_sport) == search->port)
		search->count++;
}

#define TCP_STATE_LISTEN 10

static void find_listener(const struct inet_diag_msg *d, void *opaque)
{
	struct syn_recv_search *search = opaque;
	if (d->idiag_state == TCP_STATE_LISTEN && ntohs(d->id.idiag_sport) == search->port)
		search->count++;
}

int lc_tcp_port_listening(unsigned port)
{
	struct syn_recv_search search = {.port = port, .count = 0};
	if (diag_dump_all(1U << TCP_STATE_LISTEN, find_listener, &search) < 0)
		return -1;
	return search.count > 0;
}

long lc_syn_recv_count(unsigned port)
{
	struct syn_recv_search search = {.port = port, .count = 0};
	if (diag_dump_all(1U << TCP_STATE_SYN_RECV, count_syn_recv, &search) < 0)
		return -1;
	return search.count;
}

/* /proc/net/netstat has a "TcpExt:" line of names, then one of values. */
long lc_tcpext_counter(const char *wanted)
{
	char buf[8192];
	int fd = LC_WITH_ROOM(open("/proc/net/netstat", O_RDONLY | O_CLOEXEC));
	if (fd < 0)
		return -1;
	ssize_t n = lc_real_read(fd, buf, sizeof buf - 1);
	lc_real_close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	char *names = strstr(buf, "TcpExt:");
	char *values = names ? strstr(names + 7, "TcpExt:") : NULL;
	if (!values)
		return -1;
	char *name_save = NULL, *value_save = NULL;
	char *names_end = strchr(names, '\n');
	char *values_end = strchr(values, '\n');
	if (names_end)
		*names_end = '\0';
	if (values_end)
		*values_end = '\0';
	char *name = strtok_r(names + 7, " ", &name_save);
	char *value = strtok_r(values + 7, " ", &value_save);
	for (; name && value; name = strtok_r(NULL, " ", &name_save),
			      value = strtok_r(NULL, " ", &value_save))
		if (strcmp(name, wanted) == 0)
			return strtol(value, NULL, 10);
	return -1;
}

#define TCP_STATE_FIN_WAIT1 4
#define TCP_STATE_TIME_WAIT 6
#define TCP_STATE_CLOSE 7
#define TCP_STATE_LAST_ACK 9
#define TCP_STATE_CLOSING 11

long lc_reply_bytes_unacked(unsigned state, unsigned wqueue)
{
	if (state == TCP_STATE_TIME_WAIT || state == TCP_STATE_CLOSE)
		return 0;
	bool fin_sent = state == TCP_STATE_FIN_WAIT1 || state == TCP_STATE_CLOSING ||
			state == TCP_STATE_LAST_ACK;
	if (fin_sent && wqueue > 0)
		return (long)wqueue - 1;
	return (long)wqueue;
}

long lc_tcp_send_queue(const struct sockaddr_storage *local, const struct sockaddr_storage *peer)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg;
	memset(&msg, 0, sizeof msg);
	msg.nlh.nlmsg_len = sizeof msg;
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST;
	msg.req.sdiag_family = (unsigned char)local->ss_family;
	msg.req.sdiag_protocol = IPPROTO_TCP;
	msg.req.idiag_states = ~0U;
	msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (local->ss_family == AF_INET) {
		const struct sockaddr_in *l = (const void *)local, *p = (const void *)peer;
		msg.req.id.idiag_sport = l->sin_port;
		msg.req.id.idiag_dport = p->sin_port;
		memcpy(msg.req.id.idiag_src, &l->sin_addr, 4);
		memcpy(msg.req.id.idiag_dst, &p->sin_addr, 4);
	} else if (local->ss_family == AF_INET6) {
		const struct sockaddr_in6 *l = (const void *)local, *p = (const void *)peer;
		msg.req.id.idiag_sport = l->sin6_port;
		msg.req.id.idiag_dport = p->sin6_port;
		memcpy(msg.req.id.idiag_src, &l->sin6_addr, 16);
		memcpy(msg.req.id.idiag_dst, &p->sin6_addr, 16);
	} else {
		return 0;
	}
	int nl = LC_WITH_ROOM(socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
	if (nl < 0)
		return -1;
	long result = -1;
	char buf[4096] __attribute__((aligned(8)));
	if (lc_real_send(nl, &msg, sizeof msg, 0) == sizeof msg) {
		ssize_t n = lc_real_recv(nl, buf, sizeof buf, 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		if (n > 0 && NLMSG_OK(h, (unsigned)n)) {
			if (h->nlmsg_type == NLMSG_ERROR)
				result = 0; /* ENOENT: gone, its queue delivered */
			else if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
				struct inet_diag_msg *d = NLMSG_DATA(h);
				result = lc_reply_bytes_unacked(d->idiag_state, d->idiag_wqueue);
			}
		}
	}
	lc_real_close(nl);
	return result;
}

long lc_unix_backlog(uint64_t ino)
{
	struct {
		struct nlmsghdr nlh;
		struct unix_diag_req req;
	} msg;
	memset(&msg, 0, sizeof msg);
	msg.nlh.nlmsg_len = sizeof msg;
	msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	msg.nlh.nlmsg_flags = NLM_F_REQUEST;
	msg.req.sdiag_family = AF_UNIX;
	msg.req.udiag_states = ~0U;
	msg.req.udiag_ino = (unsigned)ino;
	msg.req.udiag_show = UDIAG_SHOW_RQLEN;
	msg.req.udiag_cookie[0] = INET_DIAG_NOCOOKIE;
	msg.req.udiag_cookie[1] = INET_DIAG_NOCOOKIE;
	int nl = LC_WITH_ROOM(socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
	if (nl < 0)
		return -1;
	long result = -1;
	char buf[4096] __attribute__((aligned(8)));
	if (lc_real_send(nl, &msg, sizeof msg, 0) == sizeof msg) {
		ssize_t n = lc_real_recv(nl, buf, sizeof buf, 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		if (n > 0 && NLMSG_OK(h, (unsigned)n) && h->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
			struct unix_diag_msg *d = NLMSG_DATA(h);
			int len = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *d));
			for (struct rtattr *a = (struct rtattr *)(d + 1); RTA_OK(a, len);
			     a = RTA_NEXT(a, len))
				if (a->rta_type == UNIX_DIAG_RQLEN) {
					struct unix_diag_rqlen *q = RTA_DATA(a);
					result = q->udiag_rqueue; /* a listener's queue length */
				}
		}
	}
	lc_real_close(nl);
	return result;
}

struct inbound_search {
	const unsigned *ports;
	int nports;
	uint64_t *out;
	int count, max;
};

static void collect_inbound(const struct inet_diag_msg *d, void *opaque)
{
	struct inbound_search *search = opaque;
	unsigned sport = ntohs(d->id.idiag_sport);
	for (int i = 0; i < search->nports; i++)
		if (search->ports[i] == sport && d->idiag_inode && search->count < search->max)
			search->out[search->count++] = d->idiag_inode;
}

int lc_inbound_inodes(const unsigned *ports, int nports, uint64_t *out, int max)
{
	if (nports == 0)
		return 0;
	struct inbound_search search = {.ports = ports, .nports = nports, .out = out, .max = max};
	/* connected states: all but LISTEN, CLOSE, SYN_SENT, TIME_WAIT */
	unsigned states = ~((1U << 10) | (1U << 7) | (1U << 2) | (1U << 6) | 1U);
	if (diag_dump_all(states, collect_inbound, &search) < 0)
		return -1;
	return search.count;
}

struct orphan_search {
	const unsigned *ports;
	int nports;
	long count;
};

static void count_orphan(const struct inet_diag_msg *d, void *opaque)
{
	struct orphan_search *search = opaque;
	if (d->idiag_inode != 0 || lc_reply_bytes_unacked(d->idiag_state, d->idiag_wqueue) <= 0)
		return;
	unsigned sport = ntohs(d->id.idiag_sport);
	for (int i = 0; i < search->nports; i++)
		if (search->ports[i] == sport) {
			search->count++;
			return;
		}
}

long lc_orphans_sending(const unsigned *ports, int nports)
{
	if (nports == 0)
		return 0;
	struct orphan_search search = {.ports = ports, .nports = nports, .count = 0};
	unsigned states = (1U << TCP_STATE_FIN_WAIT1) | (1U << TCP_STATE_CLOSING) |
			  (1U << TCP_STATE_LAST_ACK);
	if (diag_dump_all(states, count_orphan, &search) < 0)
		return -1;
	return search.count;
}
