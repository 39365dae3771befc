/* A single-threaded blocking server that closes each connection in one of
 * the ways that bypass close(): the connection table must notice anyway.
 *
 *   close_server METHOD PORT
 *
 *   close | fclose | close_range | closefrom | syscall | raw
 *   raw      an inline system call, invisible to any wrapper
 *   raw-reuse  like raw, then a socketpair takes the freed number and is
 *              kept: lastcall must neither wait for it nor touch it
 *
 * GET /slow?ms=N answers after N ms. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *method;
static int pair[2] = {-1, -1};

static void raw_close(int fd)
{
#if defined(__x86_64__)
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"((long)SYS_close), "D"((long)fd) : "rcx", "r11", "memory");
	(void)ret;
#else
	syscall(SYS_close, fd);
#endif
}

static void close_by_method(int fd)
{
	if (strcmp(method, "fclose") == 0)
		fclose(fdopen(fd, "r+"));
	else if (strcmp(method, "close_range") == 0)
		close_range((unsigned)fd, (unsigned)fd, 0);
	else if (strcmp(method, "closefrom") == 0)
		closefrom(fd);
	else if (strcmp(method, "syscall") == 0)
		syscall(SYS_close, fd);
	else if (strncmp(method, "raw", 3) == 0)
		raw_close(fd);
	else
		close(fd);
}

static void check_pair(void)
{
	if (pair[0] < 0)
		return;
	/* still a working socketpair after lastcall's drain? */
	int ok = write(pair[0], "x", 1) == 1;
	char c;
	ok = ok && read(pair[1], &c, 1) == 1;
	printf("pair %s\n", ok ? "intact" : "broken");
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	method = argv[1];
	atexit(check_pair);
	int listener = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(listener, (struct sockaddr *)&a, sizeof a) < 0 || listen(listener, 16) < 0)
		return 1;
	printf("ready\n");
	for (;;) {
		int fd = accept(listener, NULL, NULL);
		if (fd < 0)
			continue;
		char buf[2048];
		ssize_t n = read(fd, buf, sizeof buf - 1);
		if (n > 0) {
			buf[n] = '\0';
			char *ms = strstr(buf, "ms=");
			long v = ms ? atol(ms + 3) : 0;
			struct timespec ts = {v / 1000, (v % 1000) * 1000000L};
			nanosleep(&ts, NULL);
			const char *reply = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
			ssize_t w = write(fd, reply, strlen(reply));
			(void)w;
		}
		close_by_method(fd);
		printf("closed fd %d\n", fd);
		if (strcmp(method, "raw-reuse") == 0 && pair[0] < 0) {
			socketpair(AF_UNIX, SOCK_STREAM, 0, pair);
			printf("pair on fd %d\n", pair[0]);
		}
	}
}
