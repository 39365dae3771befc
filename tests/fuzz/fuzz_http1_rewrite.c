/* Connection: close under partial writes: whatever the kernel takes at
 * each call, the client receives the same bytes as when it takes all at
 * once, the program is told exactly its own bytes, and the tracker counts
 * every byte that left.
 *
 * Input: byte 0 sets the program's write size, byte 1 seeds the kernel;
 * the rest is a response to a plain GET, written after the signal. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http1_send.h"
#include "../proto_test.h"

static void run(struct fake_kernel *k, const char *text, size_t len, size_t chunk, struct lc_h1 *h)
{
	static const char get[] = "GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n";
	lc_h1_reset(h);
	lc_h1_read(h, get, sizeof get - 1);
	size_t done = 0;
	for (int calls = 0; done < len; calls++) {
		if (calls > 100000)
			abort(); /* no progress */
		size_t n = len - done < chunk ? len - done : chunk;
		struct iovec v = {.iov_base = (void *)(text + done), .iov_len = n};
		ssize_t r = lc_h1_send(h, &v, 1, true, fake_send, k);
		if (r > 0) {
			if ((size_t)r > n)
				abort();
			done += (size_t)r;
		} else if (r < 0 && errno != EAGAIN) {
			abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	/* what the fake kernel holds: twice the input, and headers added */
	if (size < 3 || size > 16384)
		return 0;
	size_t chunk = 1 + data[0] % 64;
	const char *text = (const char *)data + 2;
	size_t len = size - 2;
	static struct fake_kernel whole, parts;
	whole = (struct fake_kernel){0};
	parts = (struct fake_kernel){.seed = 1u + data[1], .max = 9, .eagain_one_in = 4};
	struct lc_h1 a, b;
	run(&whole, text, len, chunk, &a);
	run(&parts, text, len, chunk, &b);
	if (whole.len != parts.len || memcmp(whole.received, parts.received, whole.len) != 0)
		abort();
	if (a.written_seen != (uint32_t)whole.len || b.written_seen != (uint32_t)parts.len)
		abort();
	if (whole.len < len)
		abort(); /* lastcall only adds */
	return 0;
}
