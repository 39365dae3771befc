/* A test server that receives its shutdown signal in one of the ways real
 * programs do. Requests are served by a thread each; /slow?ms=N answers
 * after N ms.
 *
 *   signal_server MODE PORT
 *
 *   signalfd    SIGTERM blocked in every thread, read from a signalfd in an
 *               epoll loop with the listener
 *   sigwait     SIGTERM blocked, a dedicated thread in sigwait(); the main
 *               thread blocks in accept()
 *   late-mask   like signalfd, but the mask and signalfd are set up after
 *               listen() (lastcall is already active then)
 *   resethand   SA_SIGINFO|SA_RESETHAND handler; reports si_code and what
 *               sigaction(sig, NULL) shows before and after
 *   restart     SA_RESTART handler that counts; the main thread blocks in
 *               accept(), which must never return an error
 *
 * Everything it prints goes to stdout, line-buffered. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got_signal, got_code, handler_calls;
static int in_flight; /* requests being served, for "got signal ... with N in flight" */

static void *serve(void *arg)
{
	int fd = (int)(long)arg;
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
		const char *reply = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
		ssize_t w = write(fd, reply, strlen(reply));
		(void)w;
	}
	/* Counted out before the close: the close is what ends the drain, and
	 * the signal handed back after it may be read before this thread runs
	 * again (seen with the CPU busy). */
	__atomic_sub_fetch(&in_flight, 1, __ATOMIC_SEQ_CST);
	close(fd);
	return NULL;
}

static void spawn(int fd)
{
	pthread_t t;
	__atomic_add_fetch(&in_flight, 1, __ATOMIC_SEQ_CST);
	if (pthread_create(&t, NULL, serve, (void *)(long)fd) == 0) {
		pthread_detach(t);
	} else {
		close(fd);
		__atomic_sub_fetch(&in_flight, 1, __ATOMIC_SEQ_CST);
	}
}

static int listen_on(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 64) < 0) {
		perror("bind/listen");
		exit(1);
	}
	return fd;
}

static void block_term(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static int signalfd_loop(int listener)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
	epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	printf("ready\n");
	for (;;) {
		struct epoll_event got[8];
		int n = epoll_wait(ep, got, 8, -1);
		if (n < 0 && errno == EINTR)
			continue;
		for (int i = 0; i < n; i++) {
			if (got[i].data.fd == sfd) {
				struct signalfd_siginfo si;
				if (read(sfd, &si, sizeof si) == sizeof si) {
					printf("signalfd got signal %u with %d in flight\n", si.ssi_signo,
					       __atomic_load_n(&in_flight, __ATOMIC_SEQ_CST));
					return 0;
				}
			} else {
				int c = accept(listener, NULL, NULL);
				if (c >= 0)
					spawn(c);
				else if (errno != EAGAIN)
					printf("accept error: %s\n", strerror(errno));
			}
		}
	}
}

static void *sigwait_thread(void *arg)
{
	(void)arg;
	sigset_t set;
	int sig;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	if (sigwait(&set, &sig) == 0) {
		printf("sigwait got signal %d with %d in flight\n", sig,
		       __atomic_load_n(&in_flight, __ATOMIC_SEQ_CST));
		exit(0);
	}
	return NULL;
}

static void on_term_info(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	got_signal = sig;
	got_code = info->si_code;
	handler_calls++;
}

static void on_term_counting(int sig)
{
	static const char line[] = "handler ran\n";
	got_signal = sig;
	handler_calls++;
	ssize_t w = write(STDOUT_FILENO, line, sizeof line - 1);
	(void)w;
}

static const char *disposition(int sig)
{
	struct sigaction old;
	sigaction(sig, NULL, &old);
	if (old.sa_handler == SIG_DFL)
		return "default";
	if (old.sa_handler == SIG_IGN)
		return "ignore";
	if ((old.sa_flags & SA_SIGINFO) && old.sa_sigaction == on_term_info)
		return "on_term_info";
	if (old.sa_handler == on_term_counting)
		return "on_term_counting";
	return "someone else's";
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s MODE PORT\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *mode = argv[1];
	int port = atoi(argv[2]);

	if (strcmp(mode, "signalfd") == 0) {
		block_term();
		return signalfd_loop(listen_on(port));
	}
	if (strcmp(mode, "late-mask") == 0) {
		int listener = listen_on(port);
		block_term();
		return signalfd_loop(listener);
	}
	if (strcmp(mode, "sigwait") == 0) {
		block_term();
		int listener = listen_on(port);
		pthread_t t;
		pthread_create(&t, NULL, sigwait_thread, NULL);
		printf("ready\n");
		for (;;) {
			int c = accept(listener, NULL, NULL);
			if (c >= 0)
				spawn(c);
			else if (errno != EINTR)
				printf("accept error: %s\n", strerror(errno));
		}
	}
	if (strcmp(mode, "resethand") == 0) {
		int listener = listen_on(port);
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = on_term_info;
		sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
		sigaction(SIGTERM, &sa, NULL);
		printf("installed: %s\n", disposition(SIGTERM));
		printf("ready\n");
		while (!got_signal) {
			int c = accept(listener, NULL, NULL);
			if (c >= 0)
				spawn(c);
			else if (errno != EINTR)
				printf("accept error: %s\n", strerror(errno));
		}
		printf("handler ran %d time(s), si_code %d, now: %s\n", (int)handler_calls,
		       (int)got_code, disposition(SIGTERM));
		return 0;
	}
	if (strcmp(mode, "restart") == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_term_counting;
		sa.sa_flags = SA_RESTART;
		sigaction(SIGTERM, &sa, NULL);
		int listener = listen_on(port);
		printf("ready\n");
		for (;;) {
			int c = accept(listener, NULL, NULL);
			if (c >= 0) {
				spawn(c);
				continue;
			}
			/* with SA_RESTART, accept is restarted, never EINTR */
			printf("accept error: %s after %d signal(s)\n", strerror(errno),
			       (int)handler_calls);
			return 1;
		}
	}
	fprintf(stderr, "unknown mode %s\n", mode);
	return 2;
}
