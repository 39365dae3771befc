/* A connection's identity: at accept, a hash of its peer's address (no
 * system call); at the first look that needs it, checked against the
 * kernel and replaced by the socket's inode. Real sockets on 127.0.0.1. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h> /* after the headers it needs */

#include "track/fdtable.h"
#include "track/identity.h"
#include "table_test.h"

struct pair {
	int listener, client, server;
	uint32_t peer_id;
};

static void connect_pair(struct pair *p)
{
	p->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	assert_int_equal(bind(p->listener, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(p->listener, 4), 0);
	assert_int_equal(getsockname(p->listener, (struct sockaddr *)&a, &len), 0);
	p->client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(p->client, (struct sockaddr *)&a, sizeof a), 0);
	struct sockaddr_storage peer;
	len = sizeof peer;
	p->server = accept4(p->listener, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
	assert_true(p->server >= 0);
	assert_true(lc_fd_peer_id(&peer, len, &p->peer_id));
}

static void close_pair(struct pair *p)
{
	close(p->server);
	close(p->client);
	close(p->listener);
}

static uint64_t inode_of(int fd)
{
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	return (uint32_t)st.st_ino;
}

static void the_peer_at_accept_becomes_the_inode_at_the_first_look(void **state)
{
	struct lc_fdtable *t = *state;
	struct pair p;
	connect_pair(&p);
	assert_true(lc_fdtable_set(t, p.server, LC_FD_CONNECTION, p.peer_id, 7 | LC_FD_PEER_ID));
	struct lc_fd_snapshot seen;
	assert_true(lc_fdtable_get(t, p.server, &seen));
	assert_true(lc_connection_identify(t, p.server, &seen));
	assert_int_equal(seen.ino, inode_of(p.server));
	assert_int_equal(seen.since, 7); /* the accept time kept, the flag gone */
	/* and in the table: the next look compares inodes */
	assert_true(lc_fdtable_get(t, p.server, &seen));
	assert_int_equal(seen.ino, inode_of(p.server));
	assert_int_equal(seen.since, 7);
	assert_true(lc_connection_identify(t, p.server, &seen));
	close_pair(&p);
}

/* The program closed the connection where lastcall could not see it
 * (fclose, io_uring) and the number went to another socket, or to a
 * file: never taken for the connection. */
static void a_number_taken_by_another_descriptor_is_not_the_connection(void **state)
{
	struct lc_fdtable *t = *state;
	struct pair p, other;
	connect_pair(&p);
	connect_pair(&other);
	assert_true(lc_fdtable_set(t, p.server, LC_FD_CONNECTION, p.peer_id, LC_FD_PEER_ID));
	struct lc_fd_snapshot seen;
	/* an outgoing connection: its peer is the other listener */
	assert_int_equal(dup2(other.client, p.server), p.server);
	assert_true(lc_fdtable_get(t, p.server, &seen));
	assert_false(lc_connection_identify(t, p.server, &seen));
	/* another inbound connection: another peer port */
	assert_int_equal(dup2(other.server, p.server), p.server);
	assert_false(lc_connection_identify(t, p.server, &seen));
	/* not a socket */
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(dup2(null, p.server), p.server);
	assert_false(lc_connection_identify(t, p.server, &seen));
	/* a socket that is not connected */
	int fresh = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(dup2(fresh, p.server), p.server);
	assert_false(lc_connection_identify(t, p.server, &seen));
	close(fresh);
	close(null);
	close_pair(&other);
	close_pair(&p);
}

/* Reset by its peer before lastcall first looked: no peer any more, so
 * not told apart from a socket that took its number; the program finds
 * it gone at its next read or write. */
static void a_connection_reset_before_its_first_look_is_not_kept(void **state)
{
	struct lc_fdtable *t = *state;
	struct pair p;
	connect_pair(&p);
	assert_true(lc_fdtable_set(t, p.server, LC_FD_CONNECTION, p.peer_id, LC_FD_PEER_ID));
	struct linger reset = {.l_onoff = 1, .l_linger = 0};
	assert_int_equal(setsockopt(p.client, SOL_SOCKET, SO_LINGER, &reset, sizeof reset), 0);
	close(p.client);
	p.client = -1;
	struct pollfd hup = {.fd = p.server, .events = POLLIN};
	assert_int_equal(poll(&hup, 1, 5000), 1); /* the RST arrived */
	assert_true(hup.revents & (POLLHUP | POLLERR));
	struct lc_fd_snapshot seen;
	assert_true(lc_fdtable_get(t, p.server, &seen));
	assert_false(lc_connection_identify(t, p.server, &seen));
	close_pair(&p);
}

/* The entry changed between the look and the adoption (the program
 * closed and accepted that number again): the new entry keeps its own. */
static void an_entry_renewed_meanwhile_keeps_its_own_identity(void **state)
{
	struct lc_fdtable *t = *state;
	assert_true(lc_fdtable_set(t, 9, LC_FD_CONNECTION, 111, 5 | LC_FD_PEER_ID));
	struct lc_fd_snapshot old, now;
	assert_true(lc_fdtable_get(t, 9, &old));
	lc_fdtable_forget(t, 9);
	assert_true(lc_fdtable_set(t, 9, LC_FD_CONNECTION, 222, 6 | LC_FD_PEER_ID));
	lc_fdtable_adopt_ino(t, 9, &old, 333);
	assert_int_equal(old.ino, 333);
	assert_true(lc_fdtable_get(t, 9, &now));
	assert_int_equal(now.ino, 222);
	assert_int_equal(now.since, 6 | LC_FD_PEER_ID);
}

static void peer_ids_tell_addresses_and_ports_apart(void **state)
{
	(void)state;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(40000),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_in b = a;
	uint32_t ida, idb;
	assert_true(lc_fd_peer_id(&a, sizeof a, &ida));
	assert_true(lc_fd_peer_id(&b, sizeof b, &idb));
	assert_int_equal(ida, idb);
	b.sin_port = htons(40001);
	assert_true(lc_fd_peer_id(&b, sizeof b, &idb));
	assert_int_not_equal(ida, idb);
	b = a;
	b.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1);
	assert_true(lc_fd_peer_id(&b, sizeof b, &idb));
	assert_int_not_equal(ida, idb);
	struct sockaddr_in6 c = {.sin6_family = AF_INET6, .sin6_port = htons(40000),
				 .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	struct sockaddr_in6 d = c;
	assert_true(lc_fd_peer_id(&c, sizeof c, &ida));
	d.sin6_addr.s6_addr[0] = 0x20;
	assert_true(lc_fd_peer_id(&d, sizeof d, &idb));
	assert_int_not_equal(ida, idb);
	d = c;
	d.sin6_port = htons(40001);
	assert_true(lc_fd_peer_id(&d, sizeof d, &idb));
	assert_int_not_equal(ida, idb);
	/* cut short by the program's buffer, or not an IP peer: no id */
	assert_false(lc_fd_peer_id(&a, 8, &ida));
	assert_false(lc_fd_peer_id(&c, 16, &ida));
	struct sockaddr_un u = {.sun_family = AF_UNIX};
	assert_false(lc_fd_peer_id(&u, sizeof(sa_family_t), &ida));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(the_peer_at_accept_becomes_the_inode_at_the_first_look,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			a_number_taken_by_another_descriptor_is_not_the_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(a_connection_reset_before_its_first_look_is_not_kept,
						setup, teardown),
		cmocka_unit_test_setup_teardown(an_entry_renewed_meanwhile_keeps_its_own_identity,
						setup, teardown),
		cmocka_unit_test(peer_ids_tell_addresses_and_ports_apart),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
