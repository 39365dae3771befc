/* A server whose request handler gets stuck in a static function placed
 * right after an exported one. Built -rdynamic, then stripped (make
 * builds stuck_static_server.stripped): the stripped copy keeps only the
 * exported symbols, the way Debian ships python3.11, so a stack of the
 * stuck thread must show the static function's frame as module+offset
 * (addr2line on the unstripped copy names it), never under its exported
 * neighbour's name. Prints "ready" once listening.
 *     stuck_static_server PORT */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

volatile int sink;

/* Exported (in .dynsym), just before the static function. */
__attribute__((noinline)) void exported_neighbour(int n)
{
	for (int i = 0; i < n; i++)
		sink += i;
}

__attribute__((noinline)) static void compute_forever(void)
{
	for (;;) {
		pause();
		sink++;
	}
}

static void *handle(void *arg)
{
	int fd = (int)(long)arg;
	char buf[1024];
	if (read(fd, buf, sizeof buf) > 0) {
		printf("stuck\n");
		fflush(stdout);
		compute_forever();
	}
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	exported_neighbour(argc);
	int listener = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1])),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (bind(listener, (struct sockaddr *)&a, sizeof a) < 0 || listen(listener, 16) < 0)
		return 1;
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		int fd = accept(listener, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_t t;
		pthread_create(&t, NULL, handle, (void *)(long)fd);
		pthread_detach(t);
	}
}
