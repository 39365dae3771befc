/* A token-streaming server that uses lastcall.h: like a model server
 * sending one token every 100 ms. On shutdown it ends each stream early
 * with an end marker instead of being cut mid-sentence, and a registered
 * cleanup saves how far every stream got. Built against lastcall.h, it runs
 * unchanged without the library (then SIGTERM simply kills it).
 *
 *   token_stream PORT PROGRESS_FILE
 *   GET /stream?n=N    N tokens, one per 100 ms
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

#include "lastcall.h"

static const char *progress_path;
static int tokens_sent;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void save_progress(void *arg)
{
	(void)arg;
	FILE *f = fopen(progress_path, "w");
	if (f) {
		pthread_mutex_lock(&lock);
		fprintf(f, "tokens sent: %d\n", tokens_sent);
		pthread_mutex_unlock(&lock);
		fclose(f);
	}
}

static void *stream(void *arg)
{
	int fd = (int)(long)arg;
	char request[1024];
	ssize_t n = read(fd, request, sizeof request - 1);
	if (n <= 0) {
		close(fd);
		return NULL;
	}
	request[n] = '\0';
	char *at = strstr(request, "n=");
	int count = at ? atoi(at + 2) : 10;
	const char *header = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n";
	if (write(fd, header, strlen(header)) < 0)
		count = 0;
	for (int i = 0; i < count; i++) {
		if (lastcall_shutting_down()) {
			const char *end = "[end: server shutting down]\n";
			if (write(fd, end, strlen(end)) < 0)
				break;
			break;
		}
		char token[32];
		int len = snprintf(token, sizeof token, "token %d\n", i);
		if (write(fd, token, (size_t)len) < 0)
			break;
		pthread_mutex_lock(&lock);
		tokens_sent++;
		pthread_mutex_unlock(&lock);
		struct timespec ts = {0, 100 * 1000000L};
		nanosleep(&ts, NULL);
	}
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s PORT PROGRESS_FILE\n", argv[0]);
		return 2;
	}
	progress_path = argv[2];
	int registered = lastcall_register_cleanup("save-progress", save_progress, NULL, 2000);
	fprintf(stderr, "token_stream: lastcall %s\n", registered == 0 ? "present" : "absent");

	int listener = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 64) < 0) {
		perror("token_stream: bind/listen");
		return 1;
	}
	fprintf(stderr, "token_stream: listening on 127.0.0.1:%s\n", argv[1]);
	for (;;) {
		int fd = accept(listener, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_t thread;
		if (pthread_create(&thread, NULL, stream, (void *)(long)fd) == 0)
			pthread_detach(thread);
		else
			close(fd);
	}
}
