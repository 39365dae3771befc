/* A naive HTTP/1.0 server, written the way many old services are: a thread
 * per connection, blocking I/O, no signal handling at all. SIGTERM kills it
 * mid-request; its atexit handler and buffered stdout are lost.
 *
 *   naive_server PORT [ATEXIT_MARKER_FILE]
 *
 * With NAIVE_HANG_AT_EXIT=1 in the environment, its atexit handler hangs
 * after writing the marker (a program stuck in its own exit path).
 *
 *   GET /                 "hello\n"
 *   GET /slow?ms=N        waits N ms, then answers
 *   GET /bytes?n=N        N bytes of 'x', written in 64 KiB pieces
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *marker_path;
static int served;

static void write_marker(void)
{
	if (!marker_path)
		return;
	FILE *f = fopen(marker_path, "w");
	if (f) {
		fprintf(f, "atexit ran after %d requests\n", served);
		fclose(f);
	}
	if (getenv("NAIVE_HANG_AT_EXIT"))
		for (;;)
			pause();
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static long query_number(const char *path, const char *key)
{
	const char *at = strstr(path, key);
	return at ? atol(at + strlen(key)) : 0;
}

static void *serve(void *arg)
{
	int fd = (int)(long)arg;
	char request[4096];
	size_t have = 0;
	while (have < sizeof request - 1) {
		ssize_t n = read(fd, request + have, sizeof request - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		request[have] = '\0';
		if (strstr(request, "\r\n\r\n"))
			break;
	}
	request[have] = '\0';
	char path[1024] = "/";
	sscanf(request, "GET %1023s", path);

	char header[256];
	if (strncmp(path, "/slow", 5) == 0) {
		long ms = query_number(path, "ms=");
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		const char *body = "slow done\n";
		snprintf(header, sizeof header,
			 "HTTP/1.0 200 OK\r\nContent-Length: %zu\r\n\r\n", strlen(body));
		if (write_all(fd, header, strlen(header)) == 0)
			write_all(fd, body, strlen(body));
	} else if (strncmp(path, "/bytes", 6) == 0) {
		long total = query_number(path, "n=");
		static char chunk[65536];
		memset(chunk, 'x', sizeof chunk);
		snprintf(header, sizeof header, "HTTP/1.0 200 OK\r\nContent-Length: %ld\r\n\r\n",
			 total);
		int ok = write_all(fd, header, strlen(header)) == 0;
		for (long left = total; ok && left > 0; left -= (long)sizeof chunk)
			ok = write_all(fd, chunk,
				       left < (long)sizeof chunk ? (size_t)left : sizeof chunk) == 0;
	} else {
		const char *reply = "HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n";
		write_all(fd, reply, strlen(reply));
	}
	__atomic_add_fetch(&served, 1, __ATOMIC_RELAXED);
	printf("served %s\n", path); /* stdout is buffered when redirected */
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PORT [ATEXIT_MARKER_FILE]\n", argv[0]);
		return 2;
	}
	marker_path = argc > 2 ? argv[2] : NULL;
	atexit(write_marker);

	int listener = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 128) < 0) {
		perror("naive_server: bind/listen");
		return 1;
	}
	fprintf(stderr, "naive_server: listening on 127.0.0.1:%s\n", argv[1]);
	printf("started\n");
	for (;;) {
		int fd = accept(listener, NULL, NULL);
		if (fd < 0) {
			perror("naive_server: accept");
			continue;
		}
		pthread_t thread;
		if (pthread_create(&thread, NULL, serve, (void *)(long)fd) == 0)
			pthread_detach(thread);
		else
			close(fd);
	}
}
