/* A server whose way out is stuck twice over: its atexit handler never
 * returns, and its own _exit() never reaches the kernel, as an interposed
 * _exit can (a sanitizer runtime's finaliser waiting on a lock). Only a
 * deadline that ends the process through the system call itself ends it.
 *
 *   stuck_exit_server PORT
 *   any request: "HTTP/1.0 200 OK ... ok"
 */
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The executable's definition comes first in symbol lookup: a library's
 * call to _exit() lands here (glibc's own exit() uses an internal alias). */
void _exit(int status)
{
	(void)status;
	for (;;)
		poll(NULL, 0, -1);
}

static void hang_at_exit(void)
{
	printf("atexit: hanging\n");
	fflush(stdout);
	for (;;)
		poll(NULL, 0, -1); /* poll: where ThreadSanitizer delivers signals */
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PORT\n", argv[0]);
		return 2;
	}
	int listener = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 16) < 0) {
		perror("stuck_exit_server: bind/listen");
		return 1;
	}
	atexit(hang_at_exit);
	printf("listening\n");
	fflush(stdout);
	for (;;) {
		/* Waits in poll, not accept: ThreadSanitizer holds signals back
		 * until an accept returns (make sanitize runs this under TSan). */
		struct pollfd ready = {.fd = listener, .events = POLLIN};
		if (poll(&ready, 1, -1) < 0)
			continue;
		int fd = accept(listener, NULL, NULL);
		if (fd < 0)
			continue;
		char buf[1024];
		if (read(fd, buf, sizeof buf) > 0) {
			const char *reply = "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nok\n";
			if (write(fd, reply, strlen(reply)) < 0)
				perror("stuck_exit_server: write");
		}
		close(fd);
	}
}
