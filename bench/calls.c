/* The cost of one wrapped call, run the same way with and without the
 * library preloaded (bench/run.py compares the two).
 *
 *   calls close_file|accept_empty|close_connection BATCHES [threaded]
 *
 * Prints the mean time of one call in ns over all batches. With
 * "threaded", an idle thread exists during the run: the library starts
 * threads of its own, and glibc takes a slower path in every cancellable
 * system call (close, accept4, read, ...) once a process has more than
 * one thread; this baseline separates that cost from the wrappers'. Each batch
 * prepares its descriptors untimed, then times only the calls. The timed
 * loops are the functions named timed_*: callgrind counts instructions
 * inside them alone (--toggle-collect=timed_*).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
__attribute__((noinline)) static void timed_close(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

__attribute__((noinline)) static void timed_accept_empty(int listener, int n)
{
	for (int i = 0; i < n; i++)
		if (accept4(listener, NULL, NULL, SOCK_NONBLOCK) >= 0 || errno != EAGAIN)
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

static double bench_close_file(int batches)
{
	char path[] = "/tmp/lastcall-bench-XXXXXX";
	int base = mkstemp(path);
	if (base < 0)
		die("mkstemp");
	unlink(path);
	int fds[BATCH];
	long long total = 0;
	for (int b = 0; b < batches; b++) {
		for (int i = 0; i < BATCH; i++)
			if ((fds[i] = fcntl(base, F_DUPFD, 0)) < 0)
				die("dup");
		long long start = now_ns();
		timed_close(fds, BATCH);
		total += now_ns() - start;
	}
	return (double)total / ((double)batches * BATCH);
}

static double bench_accept_empty(int batches)
{
	struct sockaddr_un addr;
	socklen_t len;
	int listener = unix_listener(&addr, &len);
	long long start = now_ns();
	for (int b = 0; b < batches; b++)
		timed_accept_empty(listener, BATCH);
	return (double)(now_ns() - start) / ((double)batches * BATCH);
}

/* Connections come from accept on a Unix listener: the library tracks them
 * like TCP ones, and closing them costs the kernel far less than a TCP
 * close, so the wrapper's share is not lost in the noise. */
static double bench_close_connection(int batches)
{
	struct sockaddr_un addr;
	socklen_t len;
	int listener = unix_listener(&addr, &len);
	int clients[BATCH], accepted[BATCH];
	long long total = 0;
	for (int b = 0; b < batches; b++) {
		for (int i = 0; i < BATCH; i++) {
			clients[i] = socket(AF_UNIX, SOCK_STREAM, 0);
			if (clients[i] < 0 || connect(clients[i], (struct sockaddr *)&addr, len) < 0)
				die("connect");
			accepted[i] = accept4(listener, NULL, NULL, 0);
			if (accepted[i] < 0)
				die("accept4");
		}
		long long start = now_ns();
		timed_close(accepted, BATCH);
		total += now_ns() - start;
		for (int i = 0; i < BATCH; i++)
			close(clients[i]);
	}
	return (double)total / ((double)batches * BATCH);
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
		fprintf(stderr,
			"usage: calls close_file|accept_empty|close_connection BATCHES [threaded]\n");
		return 2;
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
	double ns;
	if (strcmp(argv[1], "close_file") == 0)
		ns = bench_close_file(batches);
	else if (strcmp(argv[1], "accept_empty") == 0)
		ns = bench_accept_empty(batches);
	else if (strcmp(argv[1], "close_connection") == 0)
		ns = bench_close_connection(batches);
	else {
		fprintf(stderr, "calls: unknown call %s\n", argv[1]);
		return 2;
	}
	printf("%.2f\n", ns);
	return 0;
}
