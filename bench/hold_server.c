/* The benchmarks' server: one thread, epoll, HTTP/1.1 keep-alive, no
 * signal handling (SIGTERM kills it at once unless lastcall is there).
 *
 *   hold_server PORT
 *
 *   GET /            "hello\n" at once
 *   GET /hold?ms=N   "held\n", N ms after the request arrived
 *
 * Held replies leave in arrival order: every request of a run holds for
 * the same N, so a FIFO is the timer queue. A request with
 * "Connection: close" gets its reply, then the server closes. Prints
 * "ready" on stdout once listening.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_MAX 1024

struct connection {
	char request[REQUEST_MAX];
	size_t used;
	int close_after_reply;
};

static struct connection **connections; /* by fd */
static int max_fds;

/* Held requests, oldest first: a ring of fds with their due times. */
static struct held {
	int fd;
	long long due_ms;
} *held;
static int held_head, held_count;

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void drop(int fd)
{
	free(connections[fd]);
	connections[fd] = NULL;
	close(fd);
}

static void reply(int fd, const char *body)
{
	struct connection *c = connections[fd];
	char out[256];
	int n = snprintf(out, sizeof out,
			 "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: %s\r\n\r\n%s",
			 strlen(body), c->close_after_reply ? "close" : "keep-alive", body);
	/* A small reply into an empty socket buffer leaves whole or not at all. */
	if (write(fd, out, (size_t)n) != n || c->close_after_reply)
		drop(fd);
	else
		c->used = 0;
}

static void on_request(int fd, long long now)
{
	struct connection *c = connections[fd];
	c->close_after_reply = strstr(c->request, "Connection: close") != NULL ||
			       strstr(c->request, "connection: close") != NULL;
	const char *hold = strstr(c->request, "GET /hold?ms=");
	if (hold && (hold == c->request)) {
		struct held *h = &held[(held_head + held_count) % max_fds];
		h->fd = fd;
		h->due_ms = now + atol(hold + strlen("GET /hold?ms="));
		held_count++;
		return;
	}
	reply(fd, "hello\n");
}

static void on_readable(int fd)
{
	struct connection *c = connections[fd];
	ssize_t n = read(fd, c->request + c->used, REQUEST_MAX - 1 - c->used);
	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		drop(fd);
		return;
	}
	c->used += (size_t)n;
	c->request[c->used] = '\0';
	if (strstr(c->request, "\r\n\r\n"))
		on_request(fd, now_ms());
	else if (c->used == REQUEST_MAX - 1)
		drop(fd);
}

static void reply_due(long long now)
{
	while (held_count > 0 && held[held_head].due_ms <= now) {
		int fd = held[held_head].fd;
		held_head = (held_head + 1) % max_fds;
		held_count--;
		if (connections[fd])
			reply(fd, "held\n");
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: hold_server PORT\n");
		return 2;
	}
	struct rlimit nofile;
	getrlimit(RLIMIT_NOFILE, &nofile);
	nofile.rlim_cur = nofile.rlim_max;
	setrlimit(RLIMIT_NOFILE, &nofile);
	max_fds = nofile.rlim_cur > 1 << 20 ? 1 << 20 : (int)nofile.rlim_cur;
	connections = calloc((size_t)max_fds, sizeof *connections);
	held = calloc((size_t)max_fds, sizeof *held);

	int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int one = 1;
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in addr = {.sin_family = AF_INET,
				   .sin_port = htons((unsigned short)atoi(argv[1])),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 4096) < 0) {
		perror("hold_server: bind/listen");
		return 1;
	}
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
	epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
	printf("ready\n");
	fflush(stdout);

	struct epoll_event events[256];
	for (;;) {
		long long now = now_ms();
		reply_due(now);
		int timeout = held_count ? (int)(held[held_head].due_ms - now) : -1;
		int n = epoll_wait(ep, events, 256, timeout < 0 && held_count ? 0 : timeout);
		for (int i = 0; i < n; i++) {
			int fd = events[i].data.fd;
			if (fd == listener) {
				int c;
				while ((c = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					if (c >= max_fds) {
						close(c);
						continue;
					}
					connections[c] = calloc(1, sizeof(struct connection));
					struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
				}
			} else if (connections[fd]) {
				on_readable(fd);
			}
		}
	}
}
