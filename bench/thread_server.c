/* The benchmarks' thread-per-connection server: the demo server's way of
 * serving (demo/naive_server.c: a thread per connection, blocking I/O,
 * one request per connection), measured both ways in one process.
 *
 *   thread_server PORT
 *
 * Answers any request with "hello\n" and closes the connection. Prints
 * "ready" on stdout once listening.
 *
 * Connections take turns: the even ones are accepted (accept4, which
 * bench/null_interposer.c interposes too), read, written and
 * closed through the program's symbols (lastcall's wrappers when it is
 * preloaded), the odd ones through libc's own functions, looked up in
 * libc itself, which no preloaded library can stand in front of: what
 * this server pays without lastcall (glibc's threaded path: the server
 * has threads of its own). Each connection's CPU time is counted in its
 * own mode: the main thread's accept and pthread_create, and the whole
 * of its serving thread up to its close. GET /ab answers with the counts
 * ("symbol NS CONNECTIONS libc NS CONNECTIONS"), GET /ab-reset zeroes
 * them; neither is counted.
 *
 * Why not two processes, one with lastcall and one without: on the
 * project's VM the CPU per connection of two identical runs of this shape
 * differs by up to 10 % (glibc's stack cache settles in one of two
 * regimes per run, and the machine drifts from minute to minute), ten
 * times the one percent the benchmark has to resolve. Alternating
 * connections share one process, one memory layout, one stack-cache
 * regime and the same moments of the machine. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { SYMBOL, LIBC };

struct calls {
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*write)(int, const void *, size_t);
	int (*close)(int);
};
static struct calls modes[2];

static struct {
	_Atomic long long cpu_ns, connections;
} counts[2];

struct connection {
	int fd, mode;
};

static long long thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *libc_function(void *libc, const char *name)
{
	void *f = dlsym(libc, name);
	if (!f) {
		fprintf(stderr, "thread_server: no %s in libc\n", name);
		exit(1);
	}
	return f;
}

static void find_calls(void)
{
	modes[SYMBOL] = (struct calls){accept4, read, write, close};
	/* The handle's own definitions: dlsym searches libc and its
	 * dependencies, never the preloaded libraries before it. */
	void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	if (!libc) {
		fprintf(stderr, "thread_server: %s\n", dlerror());
		exit(1);
	}
	modes[LIBC] = (struct calls){libc_function(libc, "accept4"), libc_function(libc, "read"),
				     libc_function(libc, "write"), libc_function(libc, "close")};
}

static void answer_counts(const struct calls *c, int fd, int reset)
{
	if (reset)
		for (int m = 0; m < 2; m++)
			counts[m].cpu_ns = counts[m].connections = 0;
	char body[128], out[256];
	int n = snprintf(body, sizeof body, "symbol %lld %lld libc %lld %lld\n",
			 (long long)counts[SYMBOL].cpu_ns, (long long)counts[SYMBOL].connections,
			 (long long)counts[LIBC].cpu_ns, (long long)counts[LIBC].connections);
	n = snprintf(out, sizeof out, "HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s", n, body);
	c->write(fd, out, (size_t)n);
	c->close(fd);
}

static void *serve(void *arg)
{
	struct connection conn = *(struct connection *)arg;
	free(arg);
	const struct calls *c = &modes[conn.mode];
	char request[4096];
	size_t have = 0;
	while (have < sizeof request - 1) {
		ssize_t n = c->read(conn.fd, request + have, sizeof request - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		request[have] = '\0';
		if (strstr(request, "\r\n\r\n"))
			break;
	}
	request[have] = '\0';
	if (strncmp(request, "GET /ab", 7) == 0) {
		answer_counts(c, conn.fd, strncmp(request, "GET /ab-reset", 13) == 0);
		return NULL;
	}
	const char *reply = "HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n";
	c->write(conn.fd, reply, strlen(reply));
	c->close(conn.fd);
	atomic_fetch_add_explicit(&counts[conn.mode].cpu_ns, thread_cpu_ns(), memory_order_relaxed);
	atomic_fetch_add_explicit(&counts[conn.mode].connections, 1, memory_order_relaxed);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: thread_server PORT\n");
		return 2;
	}
	find_calls();
	int listener = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in addr = {.sin_family = AF_INET,
				   .sin_port = htons((unsigned short)atoi(argv[1])),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 128) < 0) {
		perror("thread_server: bind/listen");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (unsigned long turn = 0;; turn++) {
		int mode = (int)(turn & 1);
		long long before = thread_cpu_ns();
		int fd = modes[mode].accept4(listener, NULL, NULL, 0);
		if (fd < 0)
			continue;
		struct connection *conn = malloc(sizeof *conn);
		if (!conn) {
			modes[mode].close(fd);
			continue;
		}
		*conn = (struct connection){.fd = fd, .mode = mode};
		pthread_t thread;
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&thread, &attr, serve, conn) != 0) {
			free(conn);
			modes[mode].close(fd);
		}
		pthread_attr_destroy(&attr);
		/* The main thread's share: its accept and pthread_create. */
		atomic_fetch_add_explicit(&counts[mode].cpu_ns, thread_cpu_ns() - before,
					  memory_order_relaxed);
	}
}
