/* A keep-alive HTTP/1.1 server that answers through stdio: it reads each
 * request with recv(), and writes the response with fprintf on an
 * fdopen'ed stream, which reaches the kernel through glibc's internal
 * __write, past every wrapper. lastcall sees the requests and none of the
 * responses: the kernel's byte counts must tell it that it missed them.
 * One thread per connection. Prints "ready" once listening.
 *     stdio_server PORT */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void *serve(void *arg)
{
	int fd = (int)(long)arg;
	FILE *out = fdopen(fd, "w"); /* the same descriptor: no alias */
	char buf[4096];
	size_t have = 0;
	for (;;) {
		ssize_t n = recv(fd, buf + have, sizeof buf - 1 - have, 0);
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		char *end;
		while ((end = strstr(buf, "\r\n\r\n"))) {
			fprintf(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
				     "Content-Length: 2\r\n\r\nok");
			fflush(out);
			size_t used = (size_t)(end + 4 - buf);
			memmove(buf, buf + used, have - used + 1);
			have -= used;
		}
	}
	fclose(out); /* closes fd */
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 64) < 0)
		return 1;
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int fd = accept(ls, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_t t;
		pthread_create(&t, NULL, serve, (void *)(long)fd);
		pthread_detach(t);
	}
}
