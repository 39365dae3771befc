/* Whether something listens on a local TCP port (sock_diag): how a worker
 * tells an inbound connection it was handed (its local port is a
 * listener's) from an outgoing one (an ephemeral port nobody listens on). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h> /* after the headers it needs */

#include "kernel/sockdiag.h"

static unsigned local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	return ntohs(a.sin_port);
}

static int loopback_listener(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static void a_listeners_port_is_listening(void **state)
{
	(void)state;
	int listener = loopback_listener();
	assert_int_equal(lc_tcp_port_listening(local_port(listener)), 1);
	close(listener);
}

static void an_outgoing_connections_port_is_not(void **state)
{
	(void)state;
	int listener = loopback_listener();
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons(local_port(listener))};
	int client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(client, (struct sockaddr *)&to, sizeof to), 0);
	int accepted = accept(listener, NULL, NULL);
	assert_true(accepted >= 0);
	/* the accepted end sits on the listener's port, the client's on an
	 * ephemeral one */
	assert_int_equal(lc_tcp_port_listening(local_port(accepted)), 1);
	assert_int_equal(lc_tcp_port_listening(local_port(client)), 0);
	close(client);
	close(accepted);
	close(listener);
}

static void a_closed_listeners_port_is_not(void **state)
{
	(void)state;
	int listener = loopback_listener();
	unsigned port = local_port(listener);
	close(listener);
	assert_int_equal(lc_tcp_port_listening(port), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_listeners_port_is_listening),
	    cmocka_unit_test(an_outgoing_connections_port_is_not),
	    cmocka_unit_test(a_closed_listeners_port_is_not),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
