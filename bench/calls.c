/* The cost of one wrapped call.
 *
 *   calls close_file|accept_empty|close_connection BATCHES [threaded]
 *   calls accept_badfd|close_connection_badfd BATCHES [threaded]
 *   calls write_file|read_file|write_http_body|write_http_head BATCHES [threaded]
 *   calls write_h2_frame|write_ws_frame|read_http_request BATCHES [threaded]
 *
 * Prints two figures in ns per call: the call as the program makes it
 * (through lastcall's wrapper when it is preloaded) and the C library's
 * own function called directly, found in libc.so.6 itself. Batches of the
 * two alternate in the same process (ABBA order, BATCHES of each), so the difference is the wrapper and
 * nothing else: same threads, same cache, same moment.
 *
 * With "threaded", an idle thread exists during the run. lastcall starts
 * threads of its own, and glibc takes a slower path in every cancellable
 * system call (close, accept4, read, ...) once a process has more than one
 * thread; bench/run.py compares "threaded" with a plain run to show that
 * cost apart from the wrapper's.
 *
 * With CALLS_KERNEL_STUB=path/kernel_stub.so in the environment (and that
 * library preloaded after liblastcall.so), the timed read, write, close and
 * accept4 never reach the kernel (bench/kernel_stub.c): the direct calls go
 * to the stub, and the difference is lastcall's own work alone. Setup and
 * cleanup use the kernel as always.
 *
 * Each batch prepares its descriptors untimed, then times only the calls.
 * The timed loops are the functions named timed_*: callgrind counts
 * instructions inside them alone (--toggle-collect=timed_via_symbol_*).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define BATCH 1000

static int (*libc_close)(int);
/* libc's own close, always: setup and cleanup, never timed (under the
 * stub, libc_close above is the stub's). */
static int (*kernel_close)(int);
static int (*libc_accept4)(int, struct sockaddr *, socklen_t *, int);
static ssize_t (*libc_write)(int, const void *, size_t);
static ssize_t (*libc_read)(int, void *, size_t);

static void (*stub_feed)(const char *, size_t);
static void (*stub_pass)(int);

/* Accepts through the program's accept4 (lastcall's, when preloaded): under
 * the stub, with its accept4 passing to libc's for the while. */
static int accept_for_real(int listener)
{
	if (stub_pass)
		stub_pass(1);
	int fd = accept4(listener, NULL, NULL, 0);
	if (stub_pass)
		stub_pass(0);
	return fd;
}

/* Under the kernel stub, what its reads return: the request a bench
 * reads, again and again. A no-op with the real kernel. */
static void kernel_feeds(const char *bytes, size_t len)
{
	if (stub_feed)
		stub_feed(bytes, len);
}

/* The client's request: sent for real, or, under the stub, not at all
 * (its reads return the fed bytes; sent bytes would pile up unread). */
static ssize_t client_sends(int client, const void *bytes, size_t len)
{
	return stub_feed ? (ssize_t)len : send(client, bytes, len, 0);
}

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* noinline: these are the units callgrind is told to count. */
__attribute__((noinline)) static void timed_via_symbol_close(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

__attribute__((noinline)) static void timed_direct_close(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		libc_close(fds[i]);
}

__attribute__((noinline)) static void timed_via_symbol_accept(int listener, int n)
{
	for (int i = 0; i < n; i++)
		if (accept4(listener, NULL, NULL, SOCK_NONBLOCK) >= 0 || errno != EAGAIN)
			die("accept4 on an empty listener");
}

__attribute__((noinline)) static void timed_direct_accept(int listener, int n)
{
	for (int i = 0; i < n; i++)
		if (libc_accept4(listener, NULL, NULL, SOCK_NONBLOCK) >= 0 || errno != EAGAIN)
			die("accept4 on an empty listener");
}

static int unix_listener(struct sockaddr_un *addr, socklen_t *len)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		die("socket");
	memset(addr, 0, sizeof *addr);
	addr->sun_family = AF_UNIX;
	/* abstract name: nothing left on disk */
	static int listeners;
	int n = snprintf(addr->sun_path + 1, sizeof addr->sun_path - 1, "lastcall-bench-%d-%d",
			 (int)getpid(), listeners++);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	if (bind(fd, (struct sockaddr *)addr, *len) < 0 || listen(fd, BATCH + 16) < 0)
		die("bind/listen");
	return fd;
}

/* Batch b goes through libc directly or through the symbol in the order
 * ABBA ABBA ...: neither always goes first. */
static bool abba_direct(int b)
{
	return (b & 1) ^ ((b >> 1) & 1);
}

struct totals {
	long long via_symbol, direct;
};

/* Under the stub, the timed closes closed nothing: the batch's
 * descriptors are closed now, untimed, by libc's own close. */
static void close_for_real(const int *fds)
{
	if (stub_feed)
		for (int i = 0; i < BATCH; i++)
			kernel_close(fds[i]);
}

static void fill_with_files(int *fds, int base)
{
	for (int i = 0; i < BATCH; i++)
		if ((fds[i] = fcntl(base, F_DUPFD, 0)) < 0)
			die("dup");
}

static void bench_close_file(int batches, struct totals *t)
{
	char path[] = "/tmp/lastcall-bench-XXXXXX";
	int base = mkstemp(path);
	if (base < 0)
		die("mkstemp");
	unlink(path);
	int fds[BATCH];
	for (int b = 0; b < 2 * batches; b++) {
		bool direct = abba_direct(b);
		fill_with_files(fds, base);
		long long start = now_ns();
		if (direct)
			timed_direct_close(fds, BATCH);
		else
			timed_via_symbol_close(fds, BATCH);
		*(direct ? &t->direct : &t->via_symbol) += now_ns() - start;
		close_for_real(fds);
	}
}

static void bench_accept_empty(int batches, struct totals *t)
{
	struct sockaddr_un addr;
	socklen_t len;
	int listener = unix_listener(&addr, &len);
	for (int b = 0; b < 2 * batches; b++) {
		bool direct = abba_direct(b);
		long long start = now_ns();
		if (direct)
			timed_direct_accept(listener, BATCH);
		else
			timed_via_symbol_accept(listener, BATCH);
		*(direct ? &t->direct : &t->via_symbol) += now_ns() - start;
	}
}

/* Accepted through the program's accept4 (tracked when lastcall is there),
 * with their clients closed already. */
static void fill_with_connections(int listener, const struct sockaddr_un *addr, socklen_t len,
				  int *accepted)
{
	for (int i = 0; i < BATCH; i++) {
		int client = socket(AF_UNIX, SOCK_STREAM, 0);
		if (client < 0 || connect(client, (const struct sockaddr *)addr, len) < 0)
			die("connect");
		accepted[i] = accept_for_real(listener);
		if (accepted[i] < 0)
			die("accept4");
		kernel_close(client);
	}
}

/* Connections come from accept on a Unix listener: the library tracks them
 * like TCP ones, and closing them costs the kernel far less than a TCP
 * close, so the wrapper's share is not lost in the noise. The direct close
 * leaves lastcall's entry behind, as any close it never sees would; the
 * next accept of the same number replaces it. */
static void bench_close_connection(int batches, struct totals *t, bool closed_behind_our_back)
{
	struct sockaddr_un addr;
	socklen_t len;
	int listener = unix_listener(&addr, &len);
	int accepted[BATCH];
	for (int b = 0; b < 2 * batches; b++) {
		bool direct = abba_direct(b);
		fill_with_connections(listener, &addr, len, accepted);
		if (closed_behind_our_back) /* the *_badfd kind, below */
			for (int i = 0; i < BATCH; i++)
				kernel_close(accepted[i]);
		long long start = now_ns();
		if (direct)
			timed_direct_close(accepted, BATCH);
		else
			timed_via_symbol_close(accepted, BATCH);
		*(direct ? &t->direct : &t->via_symbol) += now_ns() - start;
		if (!closed_behind_our_back)
			close_for_real(accepted);
	}
}

/* The same two paths with the system call reduced to a quick EBADF, so
 * that the wrapper's few ns are not lost in a microsecond of kernel work
 * that varies by tens of ns from run to run: accept4 on a descriptor that
 * is not open, and close of tracked connections that libc already closed
 * behind lastcall's back (the table still holds them: the wrapper takes
 * its full path for a connection). */
__attribute__((noinline)) static void timed_via_symbol_accept_badfd(int n)
{
	for (int i = 0; i < n; i++)
		if (accept4(-1, NULL, NULL, 0) >= 0 || errno != EBADF)
			die("accept4(-1)");
}

__attribute__((noinline)) static void timed_direct_accept_badfd(int n)
{
	for (int i = 0; i < n; i++)
		if (libc_accept4(-1, NULL, NULL, 0) >= 0 || errno != EBADF)
			die("accept4(-1)");
}

static void bench_accept_badfd(int batches, struct totals *t)
{
	for (int b = 0; b < 2 * batches; b++) {
		bool direct = abba_direct(b);
		long long start = now_ns();
		if (direct)
			timed_direct_accept_badfd(BATCH);
		else
			timed_via_symbol_accept_badfd(BATCH);
		*(direct ? &t->direct : &t->via_symbol) += now_ns() - start;
	}
}

/* Reads and writes: on a descriptor that is not a connection (a file:
 * one table load), and on an HTTP/1.x connection whose framing lastcall
 * follows (a body write: O(1); a whole response head: parsed). */
static const char small[64] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde";
static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
			   "Date: Mon, 30 Nov 2026 14:00:00 GMT\r\nConnection: keep-alive\r\n"
			   "Keep-Alive: timeout=5\r\nContent-Length: 0\r\n\r\n";

__attribute__((noinline)) static void timed_via_symbol_write(int fd, const char *buf, size_t len,
							     int n)
{
	for (int i = 0; i < n; i++)
		if (write(fd, buf, len) != (ssize_t)len)
			die("write");
}

__attribute__((noinline)) static void timed_direct_write(int fd, const char *buf, size_t len, int n)
{
	for (int i = 0; i < n; i++)
		if (libc_write(fd, buf, len) != (ssize_t)len)
			die("write");
}

__attribute__((noinline)) static void timed_via_symbol_read(int fd, char *buf, size_t len, int n)
{
	for (int i = 0; i < n; i++)
		if (read(fd, buf, len) != (ssize_t)len)
			die("read");
}

__attribute__((noinline)) static void timed_direct_read(int fd, char *buf, size_t len, int n)
{
	for (int i = 0; i < n; i++)
		if (libc_read(fd, buf, len) != (ssize_t)len)
			die("read");
}

static void bench_file_io(int batches, struct totals *t, bool reading)
{
	int fd = open(reading ? "/dev/zero" : "/dev/null", reading ? O_RDONLY : O_WRONLY);
	if (fd < 0)
		die("open");
	char buf[64];
	for (int b = 0; b < 2 * batches; b++) {
		bool direct = abba_direct(b);
		long long start = now_ns();
		if (reading)
			(direct ? timed_direct_read : timed_via_symbol_read)(fd, buf, sizeof buf, BATCH);
		else
			(direct ? timed_direct_write : timed_via_symbol_write)(fd, small, sizeof small,
									       BATCH);
		*(direct ? &t->direct : &t->via_symbol) += now_ns() - start;
	}
}

/* An accepted connection (tracked) on which the program read a request:
 * lastcall follows it as HTTP/1.x. */
static int http_connection(int *client)
{
	struct sockaddr_un addr;
	socklen_t len;
	int listener = unix_listener(&addr, &len);
	*client = socket(AF_UNIX, SOCK_STREAM, 0);
	if (*client < 0 || connect(*client, (const struct sockaddr *)&addr, len) < 0)
		die("connect");
	int conn = accept_for_real(listener);
	if (conn < 0)
		die("accept4");
	int size = 4 << 20;
	setsockopt(conn, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	setsockopt(*client, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
	return conn;
}

static void drain_client(int client)
{
	char sink[65536];
	while (recv(client, sink, sizeof sink, MSG_DONTWAIT) > 0)
		;
}

/* Batches of the same write on a prepared connection, the client's side
 * emptied untimed before each. */
static void time_writes(int conn, int client, const void *buf, size_t len, int batches,
			struct totals *t)
{
	for (int b = 0; b < 2 * batches; b++) {
		bool direct = abba_direct(b);
		drain_client(client);
		long long start = now_ns();
		(direct ? timed_direct_write : timed_via_symbol_write)(conn, buf, len, BATCH);
		*(direct ? &t->direct : &t->via_symbol) += now_ns() - start;
	}
}

static void bench_http_body(int batches, struct totals *t)
{
	int client, conn = http_connection(&client);
	static const char request[] = "GET /stream HTTP/1.1\r\nHost: x\r\n\r\n";
	char buf[sizeof request];
	kernel_feeds(request, sizeof request - 1);
	if (client_sends(client, request, sizeof request - 1) < 0 ||
	    read(conn, buf, sizeof request - 1) != (ssize_t)(sizeof request - 1))
		die("request");
	/* 10^12 bytes: never reached, and under the 2^40 that lastcall
	 * follows (proto/http1.h: LC_H1_LEFT_MAX) */
	static const char body_head[] = "HTTP/1.1 200 OK\r\nContent-Length: 1000000000000\r\n\r\n";
	if (write(conn, body_head, sizeof body_head - 1) < 0)
		die("head");
	time_writes(conn, client, small, sizeof small, batches, t);
}

/* Each write is a whole response head to a request the program read
 * (untimed, before the batch). */
static void bench_http_head(int batches, struct totals *t)
{
	int client, conn = http_connection(&client);
	static const char request[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	char buf[sizeof request];
	kernel_feeds(request, sizeof request - 1);
	for (int b = 0; b < 2 * batches; b++) {
		bool direct = abba_direct(b);
		for (int i = 0; i < BATCH; i++)
			if (client_sends(client, request, sizeof request - 1) < 0 ||
			    read(conn, buf, sizeof request - 1) != (ssize_t)(sizeof request - 1))
				die("request");
		drain_client(client);
		long long start = now_ns();
		(direct ? timed_direct_write : timed_via_symbol_write)(conn, head, sizeof head - 1,
								       BATCH);
		*(direct ? &t->direct : &t->via_symbol) += now_ns() - start;
	}
}

/* Each read is one whole request on an HTTP/1.x connection (the client
 * sent the batch untimed): the read path's tracker, request by request. */
static void bench_http_read(int batches, struct totals *t)
{
	int client, conn = http_connection(&client);
	static const char request[] = "GET /a-request-of-64-bytes HTTP/1.1\r\nHost: example\r\n\r\n";
	char buf[sizeof request];
	kernel_feeds(request, sizeof request - 1);
	/* the batch in one send: a unix socket's sender is charged a whole
	 * buffer per small send, and a thousand of them would block */
	static char requests[BATCH * (sizeof request - 1)];
	for (int i = 0; i < BATCH; i++)
		memcpy(requests + i * (sizeof request - 1), request, sizeof request - 1);
	for (int b = 0; b < 2 * batches; b++) {
		bool direct = abba_direct(b);
		if (client_sends(client, requests, sizeof requests) != (ssize_t)sizeof requests)
			die("requests");
		long long start = now_ns();
		(direct ? timed_direct_read : timed_via_symbol_read)(conn, buf, sizeof request - 1, BATCH);
		*(direct ? &t->direct : &t->via_symbol) += now_ns() - start;
	}
}

/* Each write is one whole frame of 64 bytes (9-byte header, DATA on
 * stream 1) on a connection whose client sent the HTTP/2 preface. */
static void bench_h2_frame(int batches, struct totals *t)
{
	int client, conn = http_connection(&client);
	static const char preface[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
				      "\x00\x00\x00\x04\x00\x00\x00\x00\x00"	 /* SETTINGS */
				      "\x00\x00\x01\x01\x04\x00\x00\x00\x01" "h"; /* HEADERS, stream 1 */
	char buf[sizeof preface];
	kernel_feeds(preface, sizeof preface - 1);
	if (client_sends(client, preface, sizeof preface - 1) < 0 ||
	    read(conn, buf, sizeof preface - 1) != (ssize_t)(sizeof preface - 1))
		die("preface");
	char frame[64] = {0, 0, 55, 0, 0, 0, 0, 0, 1};
	memcpy(frame + 9, small, sizeof frame - 9);
	time_writes(conn, client, frame, sizeof frame, batches, t);
}

/* Each write is one whole unmasked text frame of 64 bytes on a WebSocket
 * (after the program's 101 answer). */
static void bench_ws_frame(int batches, struct totals *t)
{
	int client, conn = http_connection(&client);
	static const char upgrade[] = "GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
	static const char switching[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
					"Connection: Upgrade\r\n\r\n";
	char buf[sizeof upgrade];
	kernel_feeds(upgrade, sizeof upgrade - 1);
	if (client_sends(client, upgrade, sizeof upgrade - 1) < 0 ||
	    read(conn, buf, sizeof upgrade - 1) != (ssize_t)(sizeof upgrade - 1) ||
	    write(conn, switching, sizeof switching - 1) < 0)
		die("upgrade");
	char frame[64] = {(char)0x81, 62};
	memcpy(frame + 2, small, sizeof frame - 2);
	time_writes(conn, client, frame, sizeof frame, batches, t);
}

static void *idle_thread(void *unused)
{
	(void)unused;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: calls close_file|accept_empty|close_connection|accept_badfd|"
				"close_connection_badfd BATCHES [threaded]\n");
		return 2;
	}
	void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	if (!libc || !(kernel_close = libc_close = (int (*)(int))dlsym(libc, "close")) ||
	    !(libc_accept4 = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(libc, "accept4")) ||
	    !(libc_write = (ssize_t(*)(int, const void *, size_t))dlsym(libc, "write")) ||
	    !(libc_read = (ssize_t(*)(int, void *, size_t))dlsym(libc, "read"))) {
		fprintf(stderr, "calls: cannot find libc's own close/accept4/write/read\n");
		return 1;
	}
	const char *stub_path = getenv("CALLS_KERNEL_STUB");
	if (stub_path) {
		void *stub = dlopen(stub_path, RTLD_NOW | RTLD_NOLOAD);
		if (!stub || !(libc_write = (ssize_t(*)(int, const void *, size_t))dlsym(stub, "write")) ||
		    !(libc_read = (ssize_t(*)(int, void *, size_t))dlsym(stub, "read")) ||
		    !(libc_close = (int (*)(int))dlsym(stub, "close")) ||
		    !(libc_accept4 = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(stub,
											 "accept4")) ||
		    !(stub_feed = (void (*)(const char *, size_t))dlsym(stub, "kernel_stub_feed")) ||
		    !(stub_pass = (void (*)(int))dlsym(stub, "kernel_stub_pass"))) {
			fprintf(stderr, "calls: %s is not preloaded\n", stub_path);
			return 1;
		}
	}
	pthread_t idle;
	if (argc == 4 && pthread_create(&idle, NULL, idle_thread, NULL) != 0)
		die("pthread_create");
	int batches = atoi(argv[2]);
	struct rlimit nofile;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < 4 * BATCH) {
		nofile.rlim_cur = nofile.rlim_max < 4 * BATCH ? nofile.rlim_max : 4 * BATCH;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	/* A listener, as in any server: under the library this activates it
	 * (its threads start at the first listen or accept). */
	struct sockaddr_un addr;
	socklen_t len;
	unix_listener(&addr, &len);
	struct totals t = {0, 0};
	if (strcmp(argv[1], "close_file") == 0)
		bench_close_file(batches, &t);
	else if (strcmp(argv[1], "accept_empty") == 0)
		bench_accept_empty(batches, &t);
	else if (strcmp(argv[1], "close_connection") == 0)
		bench_close_connection(batches, &t, false);
	else if (strcmp(argv[1], "accept_badfd") == 0)
		bench_accept_badfd(batches, &t);
	else if (strcmp(argv[1], "close_connection_badfd") == 0)
		bench_close_connection(batches, &t, true);
	else if (strcmp(argv[1], "write_file") == 0)
		bench_file_io(batches, &t, false);
	else if (strcmp(argv[1], "read_file") == 0)
		bench_file_io(batches, &t, true);
	else if (strcmp(argv[1], "write_http_body") == 0)
		bench_http_body(batches, &t);
	else if (strcmp(argv[1], "write_http_head") == 0)
		bench_http_head(batches, &t);
	else if (strcmp(argv[1], "read_http_request") == 0)
		bench_http_read(batches, &t);
	else if (strcmp(argv[1], "write_h2_frame") == 0)
		bench_h2_frame(batches, &t);
	else if (strcmp(argv[1], "write_ws_frame") == 0)
		bench_ws_frame(batches, &t);
	else {
		fprintf(stderr, "calls: unknown call %s\n", argv[1]);
		return 2;
	}
	double calls = (double)batches * BATCH;
	printf("%.2f %.2f\n", (double)t.via_symbol / calls, (double)t.direct / calls);
	return 0;
}
