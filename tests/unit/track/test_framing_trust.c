/* The blind-spot check: the tracker's counts against the kernel's. A
 * connection whose counts disagree on two looks with the kernel's
 * standing still is judged without the protocol (bytes passed the
 * wrappers by) -- but not on a direction a program thread is inside a
 * call of (a read, a write): its system call has moved the kernel's
 * counts and the tracker's follow when the call returns. A thread preempted there while
 * a retransmission stall holds the kernel's counts still must not cost
 * the connection its protocol (CI cut a finished response that way).
 *
 * Real TCP sockets on 127.0.0.1, looked at the way the drain looks. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "proto/http1.h"
#include "track/connections.h"
#include "track/fdtable.h"

static const char request[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
static const char response[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

struct pair {
	int client, conn;
	struct lc_h1 *h;
	struct lc_fd_snapshot seen;
	void *history;
};

/* A connection whose request the program read (the tracker saw it). */
static void connect_pair(struct pair *p)
{
	int listener = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	assert_int_equal(bind(listener, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(listener, 1), 0);
	assert_int_equal(getsockname(listener, (struct sockaddr *)&a, &len), 0);
	p->client = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(p->client, (struct sockaddr *)&a, sizeof a), 0);
	p->conn = accept(listener, NULL, NULL);
	assert_true(p->conn >= 0);
	close(listener);
	struct stat st;
	assert_int_equal(fstat(p->conn, &st), 0);
	assert_true(lc_fdtable_set(&lc_table, p->conn, LC_FD_CONNECTION, st.st_ino, 0));
	assert_true(lc_fdtable_get(&lc_table, p->conn, &p->seen));
	p->h = lc_fdtable_h1(&lc_table, p->conn);
	assert_non_null(p->h);
	lc_h1_reset(p->h);
	p->history = lc_connection_history(p->conn, st.st_ino);
	assert_non_null(p->history);

	char buf[sizeof request];
	assert_int_equal(write(p->client, request, sizeof request - 1), sizeof request - 1);
	assert_int_equal(read(p->conn, buf, sizeof request - 1), sizeof request - 1);
	lc_h1_read(p->h, buf, sizeof request - 1);
}

static void close_pair(struct pair *p)
{
	lc_fdtable_forget(&lc_table, p->conn);
	close(p->conn);
	close(p->client);
}

/* The program's write reached the kernel; the tracker has not seen it. */
static void write_unseen(struct pair *p)
{
	assert_int_equal(write(p->conn, response, sizeof response - 1), sizeof response - 1);
}

static struct lc_conn_look look(struct pair *p)
{
	struct lc_conn_look out;
	lc_connection_look(&lc_table, p->conn, &p->seen, &out, p->history);
	return out;
}

static void a_call_in_flight_never_condemns(void **state)
{
	(void)state;
	struct pair p;
	connect_pair(&p);
	lc_h1_enter(&p.h->resp_busy);
	write_unseen(&p);
	for (int i = 0; i < 5; i++) {
		struct lc_conn_look l = look(&p);
		assert_true(l.by_protocol);
		assert_int_equal(l.activity, LC_BUSY); /* doubted: held, not closed */
	}
	/* the call returns: the tracker sees the bytes */
	lc_h1_wrote(p.h, response, sizeof response - 1, false, NULL, 0);
	lc_h1_leave(&p.h->resp_busy);
	struct lc_conn_look l = look(&p);
	assert_true(l.by_protocol);
	assert_int_equal(lc_h1_judge(p.h), LC_H1_BETWEEN);
	assert_int_equal(atomic_load(&p.h->proto), LC_PROTO_HTTP1);
	close_pair(&p);
}

static void bytes_that_passed_by_condemn_on_the_second_look(void **state)
{
	(void)state;
	struct pair p;
	connect_pair(&p);
	write_unseen(&p); /* no call in flight: the wrappers missed them */
	struct lc_conn_look first = look(&p);
	assert_true(first.by_protocol);
	assert_int_equal(first.activity, LC_BUSY);
	struct lc_conn_look second = look(&p);
	assert_false(second.by_protocol);
	assert_int_equal(atomic_load(&p.h->proto), LC_PROTO_LOST);
	close_pair(&p);
}

/* stdio's fprintf reaches the kernel past the wrappers while the
 * connection's thread blocks in recv() for the next request. */
static void a_blocked_read_does_not_shield_unseen_writes(void **state)
{
	(void)state;
	struct pair p;
	connect_pair(&p);
	lc_h1_enter(&p.h->req_busy);
	write_unseen(&p);
	look(&p);
	struct lc_conn_look second = look(&p);
	assert_false(second.by_protocol);
	assert_int_equal(atomic_load(&p.h->proto), LC_PROTO_LOST);
	lc_h1_leave(&p.h->req_busy);
	close_pair(&p);
}

static void counts_that_agree_are_trusted_during_a_blocked_read(void **state)
{
	(void)state;
	struct pair p;
	connect_pair(&p);
	assert_int_equal(write(p.conn, response, sizeof response - 1), sizeof response - 1);
	lc_h1_wrote(p.h, response, sizeof response - 1, false, NULL, 0);
	/* a thread blocked reading the next request (a threaded server) */
	lc_h1_enter(&p.h->req_busy);
	struct lc_conn_look l = look(&p);
	assert_true(l.by_protocol);
	assert_int_equal(lc_h1_judge(p.h), LC_H1_BETWEEN);
	lc_h1_leave(&p.h->req_busy);
	close_pair(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_call_in_flight_never_condemns),
		cmocka_unit_test(bytes_that_passed_by_condemn_on_the_second_look),
		cmocka_unit_test(a_blocked_read_does_not_shield_unseen_writes),
		cmocka_unit_test(counts_that_agree_are_trusted_during_a_blocked_read),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
