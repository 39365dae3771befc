/* A thread blocked in accept on a listener that lastcall is stopping: the
 * number is pointed at the stand-in (dup3) and the original shut down
 * before the table says so. The thread is woken with EINVAL; the program
 * must not see it, but accept again on what the number is now. (A
 * prefork worker saw it when its master and its own drain stopped the
 * shared listener at once: tests/e2e/test_prefork.py.) */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h> /* after the headers it needs */

#include "hook/fdhooks.h"
#include "kernel/fdscan.h"
#include "track/fdtable.h"
#include "track/listeners.h"

static int tcp_listener(struct sockaddr_in *where)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	*where = (struct sockaddr_in){.sin_family = AF_INET,
				      .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof *where;
	assert_int_equal(bind(fd, (struct sockaddr *)where, sizeof *where), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)where, &len), 0);
	return fd;
}

struct blocked_accept {
	int fd;
	int result;
};

static void *accept_blocking(void *arg)
{
	struct blocked_accept *a = arg;
	a->result = lc_accept(a->fd, NULL, NULL, 0, 0);
	return NULL;
}

static void woken_by_the_swap_accepts_on_the_stand_in(void **state)
{
	(void)state;
	struct sockaddr_in original_at, stand_in_at;
	int original = tcp_listener(&original_at);
	int stand_in = tcp_listener(&stand_in_at);
	lc_listener_created(&lc_table, original); /* the table: a listener, this socket */

	struct blocked_accept a = {.fd = original};
	pthread_t thread;
	assert_int_equal(pthread_create(&thread, NULL, accept_blocking, &a), 0);
	/* Entering accept sends no event to wait for: look, a bounded number
	 * of times, for the thread blocked in it (/proc/self/task). */
	struct timespec tick = {0, 1000000};
	for (int i = 0; i < 5000 && lc_threads_waiting_on(original) == 0; i++)
		nanosleep(&tick, NULL);
	assert_int_equal(lc_threads_waiting_on(original), 1);

	/* What lastcall's stop does, with the table not yet told. */
	int held = fcntl(original, F_DUPFD_CLOEXEC, 3);
	assert_true(dup3(stand_in, original, O_CLOEXEC) >= 0);
	assert_int_equal(shutdown(held, SHUT_RDWR), 0);

	/* Woken with EINVAL, it accepts on the stand-in: a client there gets in. */
	int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(client, (struct sockaddr *)&stand_in_at, sizeof stand_in_at), 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_true(a.result >= 0);

	close(a.result);
	close(client);
	close(held);
	close(original);
	close(stand_in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(woken_by_the_swap_accepts_on_the_stand_in),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
