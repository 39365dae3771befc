/* The cost of one wrapped call.
 *
 *   calls close_file|accept_empty|close_connection BATCHES [threaded]
 *   calls accept_badfd|close_connection_badfd BATCHES [threaded]
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
static int (*libc_accept4)(int, struct sockaddr *, socklen_t *, int);

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
		accepted[i] = accept4(listener, NULL, NULL, 0);
		if (accepted[i] < 0)
			die("accept4");
		close(client);
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
				libc_close(accepted[i]);
		long long start = now_ns();
		if (direct)
			timed_direct_close(accepted, BATCH);
		else
			timed_via_symbol_close(accepted, BATCH);
		*(direct ? &t->direct : &t->via_symbol) += now_ns() - start;
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
	if (!libc || !(libc_close = (int (*)(int))dlsym(libc, "close")) ||
	    !(libc_accept4 = (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(libc, "accept4"))) {
		fprintf(stderr, "calls: cannot find libc's own close/accept4\n");
		return 1;
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
	else {
		fprintf(stderr, "calls: unknown call %s\n", argv[1]);
		return 2;
	}
	double calls = (double)batches * BATCH;
	printf("%.2f %.2f\n", (double)t.via_symbol / calls, (double)t.direct / calls);
	return 0;
}
