/* The health endpoint (--health ADDR:PORT): GET /ready, /live, /status.
 *
 * Served from lastcall's own thread on its own socket: loopback unless told
 * otherwise, SO_REUSEADDR (a restarted instance rebinds at once),
 * close-on-exec, never counted as one of the program's listeners, and only
 * in the process that was started (LASTCALL_HEALTH_PID marks it for the
 * programs it execs; fork children close their copy).
 *
 * Requests are small and bounded: the request line and headers must fit
 * in 2 KiB (else 400) and arrive within 2 s (else 408); anything that is
 * not "GET|HEAD /path HTTP/1.x" is 400, an unknown path 404. Up to 32
 * clients at once in one poll loop, so a slow one never holds up a probe. */
#include "tell/health.h"
#include "track/connections.h"
#include "track/fdtable.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/addr.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/real.h"
#include "base/runtime.h"
#include "base/thread.h"
#include "judge/idle.h"
#include "tell/health_request.h"
#include "track/listeners.h"

#define MAX_CLIENTS 32
#define REQUEST_LIMIT 2048
#define REQUEST_TIMEOUT_NS (2000 * LC_NS_PER_MS)

static int health_fd = -1;
static _Atomic int64_t signal_wall_ns;

struct client {
	int fd;
	int64_t started_ns;
	bool lingering; /* replied; discarding input until the client closes */
	size_t len;
	char buf[REQUEST_LIMIT];
};

static struct client clients[MAX_CLIENTS];
static char body[256 * 1024];
static size_t body_len;

int lc_health_fd(void)
{
	return health_fd;
}

void lc_health_note_signal(void)
{
	atomic_store(&signal_wall_ns, lc_now_ns());
}

static void body_put(const char *s)
{
	size_t n = strlen(s);
	if (body_len + n < sizeof body) {
		memcpy(body + body_len, s, n);
		body_len += n;
	}
}

static void body_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void body_printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(body + body_len, sizeof body - body_len, fmt, ap);
	va_end(ap);
	if (n > 0 && body_len + (size_t)n < sizeof body)
		body_len += (size_t)n;
}

static const char *phase_name(int phase)
{
	static const char *names[] = {"serving", "noticed", "delay", "stopping", "draining", "exit"};
	return phase >= 0 && phase <= LC_PHASE_EXIT ? names[phase] : "?";
}

static void status_json(void)
{
	static struct lc_listener_set listeners;
	int phase = lc_phase();
	int64_t since = atomic_load(&signal_wall_ns);
	body_len = 0;
	body_printf("{\"phase\": \"%s\", ", phase_name(phase));
	if (since)
		body_printf("\"since_signal_s\": %.3f, ", (double)(lc_now_ns() - since) / 1e9);
	else
		body_put("\"since_signal_s\": null, ");
	body_printf("\"deadline_s\": %.3f, \"drain_deadline_s\": %.3f, \"listeners\": [",
		    (double)lc_rt.cfg.timeout_ns / 1e9, (double)lc_rt.cfg.drain_timeout_ns / 1e9);
	lc_listeners_find(&lc_table, &listeners, health_fd);
	for (int i = 0; i < listeners.count; i++)
		body_printf("%s\"%s\"", i ? ", " : "", listeners.items[i].local);
	body_put("], \"connections\": [");
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	int64_t coarse = (int64_t)now.tv_sec * LC_NS_PER_S + now.tv_nsec;
	int max = lc_fdtable_max_fd(&lc_table), shown = 0;
	for (int fd = 0; fd <= max && body_len < sizeof body - 512; fd++) {
		struct lc_fd_snapshot s;
		struct lc_conn_look look;
		if (!lc_fdtable_get(&lc_table, fd, &s) || s.kind != LC_FD_CONNECTION)
			continue;
		lc_connection_look(&lc_table, fd, &s, &look, NULL);
		if (!look.probed)
			continue;
		char peer[LC_ADDR_TEXT];
		int64_t age = lc_fd_age_ns(&s, coarse);
		body_printf("%s{\"fd\": %d, \"peer\": \"%s\", \"local_port\": %u, \"age_s\": %.1f, "
			    "\"state\": \"%s\"",
			    shown++ ? ", " : "", fd, lc_peer_text(fd, peer), lc_local_port(fd),
			    (double)age / 1e9, look.activity == LC_BUSY ? "busy" : "idle");
		if (look.what[0])
			body_printf(", \"protocol\": \"%s\"", look.what);
		body_put("}");
	}
	body_put("]}\n");
}

static void reply(struct client *c, int status, const char *reason, const char *type, bool head)
{
	char header[256];
	int n = snprintf(header, sizeof header,
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
			 status, reason, type, body_len);
	/* Replies are small; a client that does not read them loses them.
	 * Header and body go in one call, so one segment: a client reading
	 * once sees the whole reply. */
	struct iovec parts[2] = {
		{ .iov_base = header, .iov_len = (size_t)n },
		{ .iov_base = body, .iov_len = head ? 0 : body_len },
	};
	struct msghdr message = { .msg_iov = parts, .msg_iovlen = 2 };
	(void)lc_real_sendmsg(c->fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
	/* Closing with unread input would reset the connection and could
	 * destroy the reply before the client reads it: linger instead,
	 * discarding input until the client closes (or its time is up). */
	shutdown(c->fd, SHUT_WR);
	c->lingering = true;
}

static void text_reply(struct client *c, int status, const char *reason, const char *text, bool head)
{
	body_len = 0;
	body_put(text);
	reply(c, status, reason, "text/plain", head);
}

/* /ready says "send me traffic", so it waits for the program to listen:
 * a probe answered before that (a slow start: a big runtime, a cold cache)
 * puts an instance in rotation that refuses every connection. Seen in a
 * rolling restart under ASan, where node took longer to listen than
 * haproxy took to count two good checks. Once seen, it stays seen. */
static bool program_listens(void)
{
	static bool seen; /* the health thread's own */
	static struct lc_listener_set found;
	if (!seen) {
		lc_listeners_find(&lc_table, &found, health_fd);
		seen = found.count > 0;
	}
	return seen;
}

static void handle(struct client *c, enum lc_health_route route, bool head)
{
	switch (route) {
	case LC_HEALTH_INCOMPLETE:
		return;
	case LC_HEALTH_BAD:
		text_reply(c, 400, "Bad Request", "bad request\n", false);
		return;
	case LC_HEALTH_TOO_LARGE:
		text_reply(c, 400, "Bad Request", "request too large\n", false);
		return;
	case LC_HEALTH_READY:
		if (lc_phase() != LC_PHASE_SERVING)
			text_reply(c, 503, "Service Unavailable", "shutting down\n", head);
		else if (program_listens())
			text_reply(c, 200, "OK", "ready\n", head);
		else
			text_reply(c, 503, "Service Unavailable", "not listening yet\n", head);
		return;
	case LC_HEALTH_LIVE:
		text_reply(c, 200, "OK", "live\n", head);
		return;
	case LC_HEALTH_STATUS:
		status_json();
		reply(c, 200, "OK", "application/json", head);
		return;
	case LC_HEALTH_NOT_FOUND:
		text_reply(c, 404, "Not Found", "not found\n", head);
		return;
	}
}

static void read_from(struct client *c)
{
	if (c->lingering) {
		char discard[4096];
		ssize_t n = lc_real_recv(c->fd, discard, sizeof discard, MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			lc_real_close(c->fd);
			c->fd = -1;
		}
		return;
	}
	ssize_t n = lc_real_recv(c->fd, c->buf + c->len, sizeof c->buf - 1 - c->len, MSG_DONTWAIT);
	if (n <= 0) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		lc_real_close(c->fd);
		c->fd = -1;
		return;
	}
	c->len += (size_t)n;
	bool head;
	enum lc_health_route route = lc_health_parse(c->buf, c->len, sizeof c->buf - 1, &head);
	handle(c, route, head);
}

static void *health_main(void *unused)
{
	(void)unused;
	for (int i = 0; i < MAX_CLIENTS; i++)
		clients[i].fd = -1;
	for (;;) {
		struct pollfd pfd[MAX_CLIENTS + 1];
		int index[MAX_CLIENTS + 1], n = 0;
		int64_t now = lc_now_ns(), next_timeout = -1;
		pfd[n] = (struct pollfd){.fd = health_fd, .events = POLLIN};
		index[n++] = -1;
		for (int i = 0; i < MAX_CLIENTS; i++) {
			struct client *c = &clients[i];
			if (c->fd < 0)
				continue;
			int64_t expires = c->started_ns + REQUEST_TIMEOUT_NS;
			if (now >= expires && c->lingering) {
				lc_real_close(c->fd);
				c->fd = -1;
				continue;
			}
			if (now >= expires) {
				text_reply(c, 408, "Request Timeout", "request timeout\n", false);
				c->started_ns = now; /* a short linger of its own */
				expires = now + REQUEST_TIMEOUT_NS;
			}
			if (next_timeout < 0 || expires < next_timeout)
				next_timeout = expires;
			pfd[n] = (struct pollfd){.fd = c->fd, .events = POLLIN};
			index[n++] = i;
		}
		struct timespec ts = lc_timespec(next_timeout < 0 ? 0 : next_timeout - now);
		if (ppoll(pfd, (nfds_t)n, next_timeout < 0 ? NULL : &ts, NULL) <= 0)
			continue;
		for (int k = 1; k < n; k++)
			if (pfd[k].revents)
				read_from(&clients[index[k]]);
		if (pfd[0].revents & POLLIN) {
			int fd = lc_real_accept4(health_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd < 0)
				continue;
			int slot = -1;
			for (int i = 0; i < MAX_CLIENTS && slot < 0; i++)
				if (clients[i].fd < 0)
					slot = i;
			if (slot < 0) {
				lc_real_close(fd); /* full: a probe retries */
				continue;
			}
			clients[slot].fd = fd;
			clients[slot].started_ns = lc_now_ns();
			clients[slot].lingering = false;
			clients[slot].len = 0;
		}
	}
	return NULL;
}

int lc_health_start(const struct lc_health_addr *h, char *error, size_t error_size)
{
	int fd = socket(h->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int one = 1;
	socklen_t len = h->family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, (const struct sockaddr *)&h->addr, len) < 0 || lc_real_listen(fd, 64) < 0) {
		snprintf(error, error_size, "%s", strerror(errno));
		if (fd >= 0)
			lc_real_close(fd);
		return -1;
	}
	health_fd = fd;
	if (lc_thread_start("lastcall-health", health_main, NULL, NULL,
			    LC_THREAD_SMALL_STACK) != 0) {
		snprintf(error, error_size, "cannot start its thread");
		lc_real_close(fd);
		health_fd = -1;
		return -1;
	}
	return 0;
}

void lc_health_forget_in_child(void)
{
	/* The thread is not in the child; the parent keeps serving. */
	if (health_fd >= 0)
		lc_real_close(health_fd);
	health_fd = -1;
}
