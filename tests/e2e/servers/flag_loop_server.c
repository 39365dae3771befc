/* An event loop whose SIGTERM handler only sets a flag, tested at the top
 * of the loop, and whose epoll_wait sleeps up to 5 s -- the shape of
 * lighttpd's main loop. A request "GET /?ms=N" is answered N ms later and
 * its connection closed; after a close, the next turn does 2 ms of
 * housekeeping (FLAG_LOOP_BUSY_MS) after its test of the flag, before its
 * wait. A signal that lands in that window sets the flag too late for
 * this turn: the loop sleeps the whole 5 s.
 * Prints "accepted", then "closed T" and "exiting T HOW" (CLOCK_MONOTONIC,
 * s; HOW is how its last wait ended: "interrupted" by the signal, or
 * "slept" until its timeout or an event).
 *     flag_loop_server PORT */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define MAX_PENDING 16
static struct {
	int fd;
	double due;
} pending[MAX_PENDING];

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *busy = getenv("FLAG_LOOP_BUSY_MS");
	double housekeeping = (busy ? atof(busy) : 2.0) / 1000;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	int listener = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (bind(listener, (struct sockaddr *)&a, sizeof a) < 0 || listen(listener, 16) < 0)
		return 1;
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
	epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
	for (int i = 0; i < MAX_PENDING; i++)
		pending[i].fd = -1;
	printf("ready\n");
	int closed_one = 0, interrupted = 0;
	while (!stop) {
		/* After the test, before the wait: housekeeping (logs, timers)
		 * once a connection closed. */
		if (closed_one) {
			double busy_until = now() + housekeeping;
			while (now() < busy_until)
				;
			closed_one = 0;
		}
		int timeout = 5000;
		for (int i = 0; i < MAX_PENDING; i++)
			if (pending[i].fd >= 0) {
				int ms = (int)((pending[i].due - now()) * 1000) + 1;
				if (ms < timeout)
					timeout = ms < 0 ? 0 : ms;
			}
		struct epoll_event got[8];
		int n = epoll_wait(ep, got, 8, timeout);
		interrupted = n < 0 && errno == EINTR;
		for (int k = 0; k < n; k++) {
			int fd = got[k].data.fd;
			if (fd == listener) {
				int c = accept(listener, NULL, NULL);
				if (c < 0)
					continue;
				struct epoll_event cev = {.events = EPOLLIN, .data.fd = c};
				epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
				continue;
			}
			char buf[1024];
			ssize_t r = read(fd, buf, sizeof buf - 1);
			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			if (r <= 0) {
				close(fd);
				continue;
			}
			buf[r] = '\0';
			char *ms = strstr(buf, "ms=");
			for (int i = 0; i < MAX_PENDING; i++)
				if (pending[i].fd < 0) {
					pending[i].fd = fd;
					pending[i].due = now() + (ms ? atof(ms + 3) / 1000 : 0);
					break;
				}
			printf("accepted\n");
		}
		for (int i = 0; i < MAX_PENDING; i++) {
			if (pending[i].fd < 0 || now() < pending[i].due)
				continue;
			static const char reply[] = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
			ssize_t w = write(pending[i].fd, reply, sizeof reply - 1);
			(void)w;
			close(pending[i].fd);
			pending[i].fd = -1;
			printf("closed %.6f\n", now());
			closed_one = 1;
		}
	}
	printf("exiting %.6f %s\n", now(), interrupted ? "interrupted" : "slept");
	return 0;
}
