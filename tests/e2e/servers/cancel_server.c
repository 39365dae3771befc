/* Cancellation under lastcall, which makes the system calls itself while
 * the program has no thread of its own (shim/base/real.c): a program's
 * cancellation must still reach the calls it always reached.
 *
 *   cancel_server MODE PORT
 *
 * Listens on PORT first (lastcall starts its threads), prints "ready",
 * then:
 *   none      nothing (exits 0)
 *   early     the same, but a thread was created and joined before the
 *             listen: lastcall's debug trace says its calls go through
 *             the C library
 *   self      cancels its only thread, then reads a pipe that has a byte:
 *             the read is a cancellation point, so "cancelled at read"
 *   pthread   a thread of pthread_create blocks in recv on a socket pair;
 *             the main thread cancels it and joins: "joined: cancelled"
 *   thrd      the same with a C11 thread (thrd_create)
 * and exits 0. Anything else it prints is a failure. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

static int pair[2];
static _Atomic long blocked_tid;

static void say(const char *line)
{
	if (write(1, line, strlen(line)) < 0)
		_exit(3);
}

static void cancelled_at_read(void *unused)
{
	(void)unused;
	say("cancelled at read\n");
	_exit(0);
}

static void *returns(void *unused)
{
	return unused;
}

static void *block_in_recv(void *unused)
{
	(void)unused;
	char c;
	blocked_tid = syscall(SYS_gettid);
	ssize_t n = recv(pair[0], &c, 1, 0);
	printf("recv returned %zd\n", n);
	fflush(stdout);
	return NULL;
}

static int block_in_recv_c11(void *unused)
{
	block_in_recv(unused);
	return 0;
}

/* The thread is in recv once the kernel says so: its current system call
 * (/proc/PID/task/TID/syscall) is recvfrom, which recv makes on x86_64,
 * or it sleeps in the kernel. Nothing else can tell: polled, bounded. */
static void wait_until_blocked(void)
{
	for (int i = 0; i < 5000; i++) {
		long tid = blocked_tid;
		if (tid) {
			char path[64], state = 0;
			snprintf(path, sizeof path, "/proc/self/task/%ld/stat", tid);
			FILE *f = fopen(path, "r");
			if (f) {
				int scanned = fscanf(f, "%*d (%*[^)]) %c", &state);
				fclose(f);
				if (scanned == 1 && state == 'S')
					return;
			}
		}
		struct timespec ms = {0, 1000000};
		nanosleep(&ms, NULL);
	}
	say("the thread never blocked\n");
	_exit(4);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	if (strcmp(argv[1], "early") == 0) {
		pthread_t early;
		if (pthread_create(&early, NULL, returns, NULL) != 0 || pthread_join(early, NULL) != 0)
			return 1;
	}
	int listener = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int one = 1;
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 16) != 0)
		return 1;
	say("ready\n");
	if (strcmp(argv[1], "none") == 0 || strcmp(argv[1], "early") == 0)
		return 0;
	if (strcmp(argv[1], "self") == 0) {
		int p[2];
		if (pipe(p) != 0 || write(p[1], "x", 1) != 1)
			return 1;
		char c;
		pthread_cleanup_push(cancelled_at_read, NULL);
		pthread_cancel(pthread_self());
		ssize_t n = read(p[0], &c, 1);
		printf("not cancelled: read returned %zd\n", n);
		pthread_cleanup_pop(0);
		return 1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0)
		return 1;
	pthread_t thread;
	if (strcmp(argv[1], "pthread") == 0) {
		if (pthread_create(&thread, NULL, block_in_recv, NULL) != 0)
			return 1;
	} else if (strcmp(argv[1], "thrd") == 0) {
		thrd_t t;
		if (thrd_create(&t, block_in_recv_c11, NULL) != thrd_success)
			return 1;
		thread = (pthread_t)t; /* glibc: a thrd_t is a pthread_t */
	} else {
		return 2;
	}
	wait_until_blocked();
	pthread_cancel(thread);
	void *result;
	pthread_join(thread, &result);
	say(result == PTHREAD_CANCELED ? "joined: cancelled\n" : "joined: returned\n");
	return 0;
}
