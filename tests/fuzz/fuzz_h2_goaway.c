/* HTTP/2 framing and lastcall's GOAWAY under partial writes: whatever the
 * program writes (any bytes, taken as frames) and whatever the kernel
 * takes at each call, the client receives (once the drain thread has
 * sent what a write left of lastcall's GOAWAY) the same bytes as when the
 * kernel takes all at once — the program's bytes, with at most one GOAWAY
 * inserted whole — the program is told exactly its own bytes, and the
 * tracker counts every byte that left.
 *
 * Input: byte 0 sets the program's write size, byte 1 seeds the kernel,
 * byte 2 where the signal falls; the rest is what the program writes to
 * a client that sent the preface and opened stream 1. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/h2_send.h"
#include "../proto_test.h"

static void run(struct fake_kernel *k, const uint8_t *text, size_t len, size_t chunk, size_t signal_at,
		struct lc_h1 *h)
{
	static const char client[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
				     "\x00\x00\x03\x01\x05\x00\x00\x00\x01" "abc";
	lc_h1_reset(h);
	lc_h1_read(h, client, sizeof client - 1);
	if (h->proto != LC_PROTO_H2)
		abort();
	size_t done = 0;
	for (int calls = 0; done < len; calls++) {
		if (calls > 100000)
			abort(); /* no progress */
		size_t n = len - done < chunk ? len - done : chunk;
		if (done < signal_at && done + n > signal_at)
			n = signal_at - done;
		struct iovec v = {.iov_base = (void *)(text + done), .iov_len = n};
		ssize_t r = lc_h1_send(h, &v, 1, done >= signal_at, fake_send, k);
		if (r > 0) {
			if ((size_t)r > n)
				abort();
			done += (size_t)r;
		} else if (r < 0 && errno != EAGAIN) {
			abort();
		}
	}
	/* The drain thread's goodbye before it closes (track/connections.c):
	 * the rest of a GOAWAY a write began, or one never sent. */
	size_t left = lc_h2_goaway_left(h);
	if (left && k->len + left <= sizeof k->received) {
		memcpy(k->received + k->len, lc_h2_goaway + LC_H2_GOAWAY_LEN - left, left);
		k->len += left;
		h->written_seen += (uint32_t)left;
	}
	if (h->written_seen != (uint32_t)k->len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3 || size > 4096)
		return 0;
	size_t chunk = 1 + data[0] % 64;
	unsigned seed = 1 + data[1];
	const uint8_t *text = data + 3;
	size_t len = size - 3, signal_at = len ? data[2] % (len + 1) : 0;
	static struct fake_kernel whole, cut;
	whole = (struct fake_kernel){0};
	cut = (struct fake_kernel){.seed = seed, .max = 9, .eagain_one_in = 4};
	struct lc_h1 h1, h2;
	run(&whole, text, len, chunk, signal_at, &h1);
	run(&cut, text, len, chunk, signal_at, &h2);
	const unsigned char *all = (const unsigned char *)whole.received;
	if (whole.len != cut.len || memcmp(all, cut.received, whole.len) != 0)
		abort();
	/* the program's bytes, with at most one whole GOAWAY among them */
	if (whole.len == len) {
		if (memcmp(all, text, len) != 0)
			abort();
	} else {
		if (whole.len != len + LC_H2_GOAWAY_LEN)
			abort();
		/* the program's first bytes may look like a GOAWAY's: every
		 * position up to the first difference is a candidate */
		size_t same = 0;
		while (same < len && all[same] == text[same])
			same++;
		bool found = false;
		for (size_t at = 0; at <= same && !found; at++)
			found = memcmp(all + at, lc_h2_goaway, LC_H2_GOAWAY_LEN) == 0 &&
				memcmp(all + at + LC_H2_GOAWAY_LEN, text + at, len - at) == 0;
		if (!found)
			abort();
	}
	return 0;
}
