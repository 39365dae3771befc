/* Connection: close from the signal on, under a fake kernel that takes
 * arbitrary partial counts: what the client receives is the program's
 * bytes with exactly lastcall's edits, and the program is told exactly
 * how many of its own bytes left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http1.h"
#include "proto/http1_send.h"
#include "../../proto_test.h"

/* A nonblocking program writing `text` in writes of at most `chunk`
 * bytes, retrying what was not taken. Returns its bytes the calls
 * reported, which must be all of them. */
static size_t program_writes(struct lc_h1 *h, struct fake_kernel *k, const char *text, size_t chunk,
			     bool closing)
{
	size_t len = strlen(text), done = 0;
	for (int calls = 0; done < len && calls < 100000; calls++) {
		size_t n = len - done < chunk ? len - done : chunk;
		struct iovec v = {.iov_base = (void *)(text + done), .iov_len = n};
		ssize_t r = lc_h1_send(h, &v, 1, closing, fake_send, k);
		if (r > 0) {
			assert_true((size_t)r <= n);
			done += (size_t)r;
		} else {
			assert_true(r == 0 || errno == EAGAIN);
		}
	}
	return done;
}

static void check(const char *request, const char *response, const char *expected, bool closing)
{
	for (unsigned seed = 1; seed <= 300; seed++) {
		for (size_t chunk = 1; chunk <= 4096; chunk = chunk * 2 + 1) {
			struct lc_h1 h;
			struct fake_kernel k = {.seed = seed, .max = seed % 3 == 0 ? 0 : 1 + seed % 23, .eagain_one_in = 5};
			lc_h1_reset(&h);
			lc_h1_read(&h, request, strlen(request));
			size_t told = program_writes(&h, &k, response, chunk, closing);
			assert_int_equal(told, strlen(response));
			k.received[k.len] = '\0';
			assert_string_equal(k.received, expected);
			assert_int_equal(h.written_seen, (uint32_t)strlen(expected));
			assert_int_equal(h.ins_sent, 0);
		}
	}
}

#define GET "GET / HTTP/1.1\r\nHost: x\r\n\r\n"

static void a_response_without_connection_header_gets_one(void **state)
{
	(void)state;
	check(GET, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", true);
}

static void keep_alive_is_overwritten_to_the_same_length(void **state)
{
	(void)state;
	check(GET, "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n",
	      "HTTP/1.1 200 OK\r\nConnection: close     \r\nKeep-Alive: timeout=5\r\n\r\n", true);
	check(GET, "HTTP/1.1 200 OK\r\nconnection:Keep-Alive, Upgrade\r\nContent-Length: 0\r\n\r\n",
	      "HTTP/1.1 200 OK\r\nconnection:close              \r\nContent-Length: 0\r\n\r\n", true);
}

/* Its value is overwritten with the same bytes. */
static void a_program_that_says_close_is_untouched(void **state)
{
	(void)state;
	const char *r = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
	check(GET, r, r, true);
}

/* A value shorter than "close" (TE) cannot hold it: it keeps the first
 * letters of "close" and the header is added as well. */
static void a_short_value_is_overwritten_and_the_header_added(void **state)
{
	(void)state;
	check(GET, "HTTP/1.1 200 OK\r\nConnection: TE\r\nContent-Length: 0\r\n\r\n",
	      "HTTP/1.1 200 OK\r\nConnection: cl\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
	      true);
}

static void before_the_signal_nothing_changes(void **state)
{
	(void)state;
	const char *r = "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n";
	check(GET, r, r, false);
}

static void interim_responses_stay_final_one_changes(void **state)
{
	(void)state;
	check("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n",
	      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
	      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
	      "Connection: close\r\n\r\n",
	      true);
}

static void only_the_last_of_pipelined_responses_says_close(void **state)
{
	(void)state;
	check("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
	      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"
	      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb",
	      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na"
	      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\nb",
	      true);
}

static void http10_keeps_its_default(void **state)
{
	(void)state;
	const char *r = "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	check("GET / HTTP/1.0\r\n\r\n", r, r, true);
	check("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	      "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n",
	      "HTTP/1.0 200 OK\r\nConnection: close     \r\n\r\n", true);
}

static void the_rewritten_response_is_done(void **state)
{
	(void)state;
	struct lc_h1 h;
	struct fake_kernel k = {0};
	lc_h1_reset(&h);
	lc_h1_read(&h, GET, strlen(GET));
	program_writes(&h, &k, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 1000, true);
	assert_int_equal(lc_h1_judge(&h), LC_H1_DONE);
	assert_int_equal(k.edited_calls, 1);
}

static void a_body_write_after_the_signal_is_not_edited(void **state)
{
	(void)state;
	struct lc_h1 h;
	struct fake_kernel k = {0};
	lc_h1_reset(&h);
	lc_h1_read(&h, GET, strlen(GET));
	program_writes(&h, &k, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 1000, false);
	program_writes(&h, &k, "18\r\nConnection: keep-alive\r\n\r\n", 1000, true);
	assert_int_equal(k.edited_calls, 0);
	assert_int_equal(lc_h1_judge(&h), LC_H1_BUSY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_response_without_connection_header_gets_one),
		cmocka_unit_test(keep_alive_is_overwritten_to_the_same_length),
		cmocka_unit_test(a_program_that_says_close_is_untouched),
		cmocka_unit_test(a_short_value_is_overwritten_and_the_header_added),
		cmocka_unit_test(before_the_signal_nothing_changes),
		cmocka_unit_test(interim_responses_stay_final_one_changes),
		cmocka_unit_test(only_the_last_of_pipelined_responses_says_close),
		cmocka_unit_test(http10_keeps_its_default),
		cmocka_unit_test(the_rewritten_response_is_done),
		cmocka_unit_test(a_body_write_after_the_signal_is_not_edited),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
