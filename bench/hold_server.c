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
 *
 * With HOLD_SERVER_AB=MS in its environment, the server alternates every
 * MS milliseconds between reading and writing through the program's
 * symbols (lastcall's wrappers when it is preloaded) and through the
 * system call as glibc's read and write make it in a process of one
 * thread, and counts the serving thread's CPU time and replies in each
 * mode. GET /ab answers with the counts ("symbol NS REPLIES libc NS
 * REPLIES"), GET /ab-reset zeroes them. Both modes then share one
 * process, one memory layout and the same moments of the machine: runs
 * of separate processes here differ by several percent from one another,
 * more than the one percent the benchmark has to resolve.
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
#include <sys/syscall.h>
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

/* HOLD_SERVER_AB: how the server reads and writes, and what each way cost. */
static ssize_t (*server_read)(int, void *, size_t) = read;
static ssize_t (*server_write)(int, const void *, size_t) = write;
static ssize_t (*symbol_read)(int, void *, size_t) = read;
static ssize_t (*symbol_write)(int, const void *, size_t) = write;

/* The second mode: what this server pays for a read or write without
 * lastcall. Not glibc's read and write themselves: lastcall's threads
 * make those take glibc's threaded path (about 22 ns a call,
 * doc/performance.md), which the server alone does not pay and
 * lastcall's wrappers skip while the program has no thread of its own
 * (shim/base/real.c). So the system call as glibc makes it in a process
 * of one thread: a function call, the instruction, errno. */
__attribute__((noinline)) static long one_thread_syscall(long number, long fd, long buf, long n)
{
#if defined(__x86_64__)
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(number), "D"(fd), "S"(buf), "d"(n)
			 : "rcx", "r11", "memory");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
#else
	return syscall(number, fd, buf, n);
#endif
}

static ssize_t libc_read(int fd, void *buf, size_t n)
{
	return one_thread_syscall(SYS_read, fd, (long)buf, (long)n);
}

static ssize_t libc_write(int fd, const void *buf, size_t n)
{
	return one_thread_syscall(SYS_write, fd, (long)buf, (long)n);
}
static long long ab_window_ms, ab_switch_due_ms;
static struct ab_mode {
	long long cpu_ns, replies;
} ab_modes[2]; /* 0: through the symbols, 1: glibc's call of one thread */
static int ab_mode;
static long long ab_cpu_mark_ns;

static long long thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void ab_setup(void)
{
	const char *ms = getenv("HOLD_SERVER_AB");
	if (!ms)
		return;
	ab_window_ms = atol(ms) > 0 ? atol(ms) : 50;
	ab_cpu_mark_ns = thread_cpu_ns();
}

/* The CPU time since the last mark goes to the mode under way. */
static void ab_account(void)
{
	long long cpu = thread_cpu_ns();
	ab_modes[ab_mode].cpu_ns += cpu - ab_cpu_mark_ns;
	ab_cpu_mark_ns = cpu;
}

/* Called once per turn of the event loop: the switch falls between two
 * requests, never inside one. */
static void ab_maybe_switch(long long now)
{
	if (!ab_window_ms || now < ab_switch_due_ms)
		return;
	ab_account();
	ab_mode ^= 1;
	server_read = ab_mode ? libc_read : symbol_read;
	server_write = ab_mode ? libc_write : symbol_write;
	ab_switch_due_ms = now + ab_window_ms;
}

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
	int n;
	if (ab_window_ms && strncmp(c->request, "GET /ab", 7) == 0) {
		ab_account(); /* the window under way counts up to here */
		if (strncmp(c->request, "GET /ab-reset", 13) == 0)
			memset(ab_modes, 0, sizeof ab_modes);
		char counts[128];
		int m = snprintf(counts, sizeof counts, "symbol %lld %lld libc %lld %lld\n",
				 ab_modes[0].cpu_ns, ab_modes[0].replies, ab_modes[1].cpu_ns,
				 ab_modes[1].replies);
		n = snprintf(out, sizeof out, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", m,
			     counts);
		if (server_write(fd, out, (size_t)n) != n || c->close_after_reply)
			drop(fd);
		else
			c->used = 0;
		return;
	}
	ab_modes[ab_mode].replies++;
	n = snprintf(out, sizeof out,
			 "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: %s\r\n\r\n%s",
			 strlen(body), c->close_after_reply ? "close" : "keep-alive", body);
	/* A small reply into an empty socket buffer leaves whole or not at all. */
	if (server_write(fd, out, (size_t)n) != n || c->close_after_reply)
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
	ssize_t n = server_read(fd, c->request + c->used, REQUEST_MAX - 1 - c->used);
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
	ab_setup();
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
	epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
	printf("ready\n");
	fflush(stdout);

	struct epoll_event events[256];
	for (;;) {
		long long now = now_ms();
		ab_maybe_switch(now);
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
