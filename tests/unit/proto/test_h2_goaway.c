/* lastcall's GOAWAY from the signal on, under a fake kernel that takes
 * arbitrary partial counts (and now and then none: EAGAIN): the client
 * receives the program's frames byte for byte with one GOAWAY inserted
 * whole between two of them, at the first boundary after the signal but
 * never before the program's SETTINGS (the server preface comes first); the
 * program is told exactly how many of its own bytes left; a program's own
 * later GOAWAY is left as it is. */
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

static size_t frame(unsigned char *out, uint32_t len, uint8_t type, uint8_t flags, uint32_t stream)
{
	size_t head = h2_frame_header(out, len, type, flags, stream);
	for (uint32_t i = 0; i < len; i++)
		out[head + i] = (unsigned char)('a' + (stream + i) % 26);
	return head + len;
}

/* A nonblocking program writing `n` bytes in writes of at most `chunk`,
 * `closing` from byte `signal_at` on. */
static void program_writes(struct lc_h1 *h, struct fake_kernel *k, const unsigned char *p, size_t n,
			   size_t chunk, size_t signal_at)
{
	size_t done = 0;
	for (int calls = 0; done < n && calls < 200000; calls++) {
		size_t len = n - done < chunk ? n - done : chunk;
		if (done < signal_at && done + len > signal_at)
			len = signal_at - done; /* the signal lands between two writes */
		struct iovec v = {.iov_base = (void *)(p + done), .iov_len = len};
		ssize_t r = lc_h1_send(h, &v, 1, done >= signal_at, fake_send, k);
		if (r > 0) {
			assert_true((size_t)r <= len);
			done += (size_t)r;
		} else {
			assert_true(r == 0 || errno == EAGAIN);
		}
	}
	assert_int_equal(done, n);
}

static void goaway_goes_between_frames_whole_and_once(void **state)
{
	(void)state;
	unsigned char out[8192];
	size_t n = 0, ends[16];
	int frames = 0;
	n += frame(out + n, 6, 0x4, 0, 0), ends[frames++] = n;	      /* SETTINGS */
	n += frame(out + n, 40, 0x1, 0x4, 1), ends[frames++] = n;     /* HEADERS */
	n += frame(out + n, 1000, 0x0, 0, 1), ends[frames++] = n;     /* DATA */
	n += frame(out + n, 300, 0x0, 0, 1), ends[frames++] = n;      /* DATA */
	n += frame(out + n, 2000, 0x0, 0x1, 1), ends[frames++] = n;   /* DATA, END_STREAM */
	n += frame(out + n, 8, 0x7, 0, 0), ends[frames++] = n;	      /* its own GOAWAY */
	unsigned char client[64];
	memcpy(client, LC_H2_PREFACE, LC_H2_PREFACE_LEN);
	size_t nc = LC_H2_PREFACE_LEN + frame(client + LC_H2_PREFACE_LEN, 20, 0x1, 0x4, 1);

	for (unsigned seed = 1; seed <= 200; seed++) {
		for (size_t chunk = 1; chunk <= 4096; chunk = chunk * 3 + 1) {
			/* one seed in 20: the signal before the program wrote anything */
			size_t signal_at = seed % 20 == 0 ? 0 : (seed * 97) % n;
			struct lc_h1 h;
			struct fake_kernel k = {.seed = seed, .max = seed % 3 == 0 ? 0 : 1 + seed % 29, .eagain_one_in = 5};
			lc_h1_reset(&h);
			lc_h1_read(&h, (const char *)client, nc);
			assert_int_equal(h.proto, LC_PROTO_H2);
			program_writes(&h, &k, out, n, chunk, signal_at);
			/* where it goes: the first frame boundary at or after the
			 * signal and after the SETTINGS, unless that is past the
			 * program's own GOAWAY (a last-stream-id may never grow
			 * again) */
			size_t at = ends[0];
			for (int f = 1; at < signal_at && f < frames; f++)
				at = ends[f];
			if (at > ends[frames - 2])
				at = n + 1;
			if (at > n) {
				assert_int_equal(k.len, n);
				assert_memory_equal(k.received, out, n);
			} else {
				assert_int_equal(k.len, n + LC_H2_GOAWAY_LEN);
				assert_memory_equal(k.received, out, at);
				assert_memory_equal(k.received + at, lc_h2_goaway, LC_H2_GOAWAY_LEN);
				assert_memory_equal(k.received + at + LC_H2_GOAWAY_LEN, out + at, n - at);
			}
			assert_int_equal(h.written_seen, k.len);
			assert_int_equal(lc_h2_open_streams(&h.h2_open), 0);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(goaway_goes_between_frames_whole_and_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
