/* A classic prefork server: the master binds and listens, forks WORKERS
 * single-threaded workers that block in accept() and answer inline. On
 * SIGTERM the master forwards it to the workers and waits for them.
 *
 *   prefork_server PORT WORKERS
 *
 * PREFORK_DEFER_ACCEPT=1 sets TCP_DEFER_ACCEPT on the listener, as
 * apache2's default "AcceptFilter http data" does.
 *
 * Prints "worker PID" for each worker, "accept error ..." if a worker's
 * accept ever fails, and "master: all workers exited" at the end. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static void answer(int fd)
{
	char buf[2048];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	if (n > 0) {
		buf[n] = '\0';
		char *ms = strstr(buf, "ms=");
		if (ms) {
			long v = atol(ms + 3);
			struct timespec ts = {v / 1000, (v % 1000) * 1000000L};
			nanosleep(&ts, NULL);
		}
		char reply[128];
		int len = snprintf(reply, sizeof reply,
				   "HTTP/1.0 200 OK\r\nContent-Length: 8\r\n\r\nw%06d\n", (int)getpid() % 1000000);
		ssize_t w = write(fd, reply, (size_t)len);
		(void)w;
	}
	close(fd);
}

static void worker(int listener)
{
	signal(SIGTERM, SIG_DFL);
	for (;;) {
		int fd = accept(listener, NULL, NULL);
		if (fd >= 0) {
			answer(fd);
			continue;
		}
		if (errno != EINTR)
			printf("accept error in %d: %s\n", (int)getpid(), strerror(errno));
	}
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	int listener = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int defer = 5;
	if (getenv("PREFORK_DEFER_ACCEPT"))
		setsockopt(listener, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer);
	if (bind(listener, (struct sockaddr *)&a, sizeof a) < 0 || listen(listener, 128) < 0)
		return 1;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);

	int workers = atoi(argv[2]);
	pid_t pids[64];
	for (int i = 0; i < workers && i < 64; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			worker(listener);
		printf("worker %d\n", (int)pids[i]);
	}
	printf("ready\n");
	while (!stop)
		pause();
	for (int i = 0; i < workers && i < 64; i++)
		kill(pids[i], SIGTERM);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	printf("master: all workers exited\n");
	return 0;
}
