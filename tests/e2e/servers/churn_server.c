/* A multi-threaded HTTP server for the fault and stress suite
 * (tests/e2e/test_faults.py): worker threads poll and accept on one
 * nonblocking listener and answer keep-alive requests, while optional
 * threads do what stresses lastcall — close descriptors every way there is,
 * fork, install and remove handlers — and optional faults make accept fail
 * or the descriptor table huge.
 *
 *   churn_server PORT [options]
 *     --threads N        accepting workers (default 4)
 *     --fd-churn N       N threads opening and closing descriptors (open,
 *                        dup, fdopen/fclose, socketpair, close_range,
 *                        syscall(SYS_close)) until the process exits
 *     --fork-loop        a thread forking short-lived children
 *     --handler-churn    a thread installing and removing a SIGTERM handler
 *     --hold-fds N       open N descriptors before listening
 *     --high-fds         listener and connections above fd 65,535
 *     --fill-fds         open descriptors until EMFILE, after listening
 *     --accept-fails E   every accept fails with errno E (seccomp)
 *     --ctor-wait        a constructor waits for SIGUSR1 (before main)
 *     --slow-atexit MS   the atexit handler takes MS milliseconds
 *
 * Requests: GET /slow?ms=N answers after N ms; GET /quit calls exit(3)
 * from the worker (the program's own exit path). Each request start is
 * printed to stdout ("request /path"), so tests wait on events, not time.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HIGH_FD 70000

static int listener = -1;
static bool high_fds;
static int slow_atexit_ms;
static int handler_pipe[2] = {-1, -1};
static _Atomic bool handler_ran;

static void say(const char *fmt, const char *arg)
{
	flockfile(stdout);
	printf(fmt, arg);
	putchar('\n');
	fflush(stdout);
	funlockfile(stdout);
}

static int move_high(int fd)
{
	if (!high_fds || fd < 0)
		return fd;
	int high = fcntl(fd, F_DUPFD_CLOEXEC, HIGH_FD);
	if (high < 0) {
		perror("churn_server: F_DUPFD above 65535");
		exit(1);
	}
	close(fd);
	return high;
}

/* --- requests --- */

/* A request's work takes all of `ms` even when a signal lands in this
 * thread: a bare poll() returns EINTR at the first SIGTERM of a storm
 * (poll is never restarted, signal(7)), and the request would end early,
 * which no test means. */
static void work_for(int ms)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == EINTR)
		;
}

static bool handle_one(int conn)
{
	char req[4096];
	size_t len = 0;
	while (!memmem(req, len, "\r\n\r\n", 4)) {
		if (len == sizeof req)
			return false;
		ssize_t n = read(conn, req + len, sizeof req - len);
		if (n <= 0)
			return false; /* the client closed, or lastcall closed it idle */
		len += (size_t)n;
	}
	req[len < sizeof req ? len : sizeof req - 1] = '\0';
	char path[256] = "";
	sscanf(req, "GET %255s", path);
	say("request %s", path);
	if (strcmp(path, "/quit") == 0)
		exit(3);
	const char *ms = strstr(path, "ms=");
	if (ms)
		work_for(atoi(ms + 3));
	static const char reply[] =
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: text/plain\r\n\r\nok\n";
	bool keep_alive = !strstr(req, "HTTP/1.0") || strcasestr(req, "keep-alive");
	return write(conn, reply, sizeof reply - 1) == (ssize_t)(sizeof reply - 1) && keep_alive;
}

static void *worker(void *unused)
{
	(void)unused;
	int last_error = 0;
	for (long i = 0; i < 100000000; i++) {
		struct pollfd p = {.fd = listener, .events = POLLIN};
		if (poll(&p, 1, -1) < 0)
			continue;
		int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				if (errno != last_error)
					fprintf(stderr, "churn_server: accept: %s\n", strerror(errno));
				last_error = errno;
				poll(NULL, 0, 100); /* back off, as servers do (nginx: 500 ms) */
			}
			continue;
		}
		int flags = fcntl(conn, F_GETFL);
		fcntl(conn, F_SETFL, flags & ~O_NONBLOCK);
		conn = move_high(conn);
		while (handle_one(conn))
			;
		close(conn);
	}
	return NULL;
}

/* --- stress threads --- */

/* make sanitize runs this server under ThreadSanitizer with TSAN_OPTIONS
 * set; a few stress threads bend there (see their comments). */
static bool under_tsan(void)
{
	return getenv("TSAN_OPTIONS") != NULL;
}

/* ThreadSanitizer tracks descriptors through its own close interceptor
 * and cannot see a raw close: it then reports the next dup or open of the
 * number as a race. Under TSan (make sanitize) only close() is used. */
static bool raw_closes_allowed(void)
{
	return !under_tsan();
}

static void close_raw(int fd)
{
	if (raw_closes_allowed())
		syscall(SYS_close, fd);
	else
		close(fd);
}

static void *fd_churn(void *unused)
{
	(void)unused;
	bool raw = raw_closes_allowed();
	for (long i = 0; i < 100000000; i++) {
		int a = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int b = dup(a);
		FILE *f = fdopen(dup(a), "r");
		if (f)
			fclose(f); /* closes without calling close() */
		int pair[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0) {
			close_raw(pair[0]);
			close(pair[1]);
		}
		if (raw && b == a + 1) /* never a range holding another thread's descriptors */
			syscall(SYS_close_range, a, b, 0); /* both at once */
		else {
			close(a);
			close(b);
		}
	}
	return NULL;
}

/* Under ThreadSanitizer (make sanitize) the fork loop bends twice, each
 * time for a TSan lock, not for lastcall (seen with the CPU busy):
 * - a child forked from a threaded process can hang in TSan's own _exit:
 *   its finaliser takes a report lock another thread held at the fork
 *   (1 run in 40). The parent then waits for it forever, and a SIGTERM TSan
 *   queued for the waiting thread is never delivered. The children leave
 *   through the raw system call instead;
 * - TSan's fork holds its thread registry lock throughout, and a thread
 *   forking back to back starves the program's exit(), whose finaliser
 *   needs that lock (1 run in 20). The loop yields a millisecond between
 *   forks.
 * The normal suite keeps exit(), _exit() and forks back to back. */
static void *fork_loop(void *unused)
{
	(void)unused;
	say("%s", "forking");
	bool tsan = under_tsan();
	for (long i = 0; i < 10000000; i++) {
		if (tsan) {
			struct timespec pause = {0, 1000000L}; /* pacing, not waiting */
			nanosleep(&pause, NULL);
		}
		pid_t pid = fork();
		if (pid == 0) {
			if (tsan)
				syscall(SYS_exit_group, 0);
			if (i % 2)
				exit(0); /* runs atexit and lastcall's destructor in the child */
			_exit(0);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	return NULL;
}

static void on_term(int sig)
{
	(void)sig;
	atomic_store(&handler_ran, true);
	char byte = 1;
	if (write(handler_pipe[1], &byte, 1) < 0) {
		/* nothing to do in a handler */
	}
}

static void *handler_churn(void *unused)
{
	(void)unused;
	struct sigaction mine = {.sa_handler = on_term}, dfl = {.sa_handler = SIG_DFL}, old;
	say("%s", "churning handlers");
	for (long i = 0; i < 100000000; i++) {
		sigaction(SIGTERM, &mine, &old);
		sigaction(SIGTERM, &dfl, &old);
		signal(SIGTERM, on_term);
		signal(SIGTERM, SIG_DFL);
	}
	return NULL;
}

/* --- faults --- */

static void accept_fails_with(int error)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_accept, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_accept4, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)error),
	};
	struct sock_fprog prog = {.len = sizeof filter / sizeof filter[0], .filter = filter};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
		perror("churn_server: seccomp");
		exit(1);
	}
}

static bool ctor_wait;

__attribute__((constructor)) static void wait_before_main(void)
{
	if (!getenv("CHURN_CTOR_WAIT"))
		return;
	ctor_wait = true;
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	say("%s", "constructor waiting");
	int sig;
	sigwait(&usr1, &sig);
	say("%s", "constructor done");
}

static void at_exit(void)
{
	say("%s", "atexit start");
	if (slow_atexit_ms)
		work_for(slow_atexit_ms);
	say("%s", handler_ran ? "atexit ran (after the handler)" : "atexit ran");
}

static void start(void *(*fn)(void *))
{
	pthread_t t;
	if (pthread_create(&t, NULL, fn, NULL) != 0) {
		perror("churn_server: pthread_create");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: churn_server PORT [options]\n");
		return 2;
	}
	int port = atoi(argv[1]), threads = 4, fd_churners = 0, hold = 0, accept_error = 0;
	bool forks = false, handlers = false, fill = false;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : "0";
		if (!strcmp(a, "--threads"))
			threads = atoi(next), i++;
		else if (!strcmp(a, "--fd-churn"))
			fd_churners = atoi(next), i++;
		else if (!strcmp(a, "--hold-fds"))
			hold = atoi(next), i++;
		else if (!strcmp(a, "--accept-fails"))
			accept_error = !strcmp(next, "ENFILE") ? ENFILE : EMFILE, i++;
		else if (!strcmp(a, "--slow-atexit"))
			slow_atexit_ms = atoi(next), i++;
		else if (!strcmp(a, "--fork-loop"))
			forks = true;
		else if (!strcmp(a, "--handler-churn"))
			handlers = true;
		else if (!strcmp(a, "--high-fds"))
			high_fds = true;
		else if (!strcmp(a, "--fill-fds"))
			fill = true;
		else {
			fprintf(stderr, "churn_server: unknown option %s\n", a);
			return 2;
		}
	}
	atexit(at_exit);
	if (pipe2(handler_pipe, O_CLOEXEC) != 0)
		return 1;
	for (int i = 0; i < hold; i++)
		if (open("/dev/null", O_RDONLY) < 0) {
			perror("churn_server: holding descriptors");
			return 1;
		}

	listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 128) != 0) {
		perror("churn_server: listen");
		return 1;
	}
	listener = move_high(listener);
	if (accept_error)
		accept_fails_with(accept_error);
	if (fill) {
		int n = 0;
		while (open("/dev/null", O_RDONLY) >= 0)
			n++;
		fprintf(stderr, "churn_server: opened %d more descriptors, now at the limit\n", n);
	}
	for (int i = 0; i < threads; i++)
		start(worker);
	for (int i = 0; i < fd_churners; i++)
		start(fd_churn);
	if (forks)
		start(fork_loop);
	if (handlers)
		start(handler_churn);
	char text[32];
	snprintf(text, sizeof text, "%d", listener);
	say("churn_server: listening, listener fd %s", text);
	(void)ctor_wait;

	/* The main thread waits for the program's own SIGTERM handler (only
	 * ever installed by --handler-churn), then exits cleanly. It waits in
	 * poll, not read: the kernel hands a signal sent to the process to
	 * this thread first, and ThreadSanitizer runs a handler at once only
	 * in the calls it knows block (poll does; read does not). */
	struct pollfd wait_handler = {.fd = handler_pipe[0], .events = POLLIN};
	while (poll(&wait_handler, 1, -1) < 0 && errno == EINTR)
		;
	exit(0);
}
