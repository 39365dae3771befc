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

struct kernel {
	char *received;
	size_t len, cap;
	unsigned seed; /* 0: takes everything */
};

static ssize_t fake_send(void *ctx, const struct iovec *iov, int iovcnt, bool edited)
{
	(void)edited;
	struct kernel *k = ctx;
	size_t total = 0;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	size_t take = total;
	if (k->seed) {
		if (rand_r(&k->seed) % 4 == 0) {
			errno = EAGAIN;
			return -1;
		}
		take = 1 + (size_t)rand_r(&k->seed) % 9;
		if (take > total)
			take = total;
	}
	if (k->len + take > k->cap)
		abort();
	size_t left = take;
	for (int i = 0; i < iovcnt && left > 0; i++) {
		size_t n = iov[i].iov_len < left ? iov[i].iov_len : left;
		memcpy(k->received + k->len, iov[i].iov_base, n);
		k->len += n;
		left -= n;
	}
	return (ssize_t)take;
}

static void run(struct kernel *k, const char *text, size_t len, size_t chunk, struct lc_h1 *h)
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
	if (size < 3)
		return 0;
	size_t chunk = 1 + data[0] % 64;
	const char *text = (const char *)data + 2;
	size_t len = size - 2, cap = len * 2 + 64 * LC_H1_CLOSE_HEADER_LEN;
	struct kernel whole = {.received = malloc(cap), .cap = cap};
	struct kernel parts = {.received = malloc(cap), .cap = cap, .seed = 1u + data[1]};
	struct lc_h1 a, b;
	run(&whole, text, len, chunk, &a);
	run(&parts, text, len, chunk, &b);
	if (whole.len != parts.len || memcmp(whole.received, parts.received, whole.len) != 0)
		abort();
	if (a.written_seen != (uint32_t)whole.len || b.written_seen != (uint32_t)parts.len)
		abort();
	if (whole.len < len)
		abort(); /* lastcall only adds */
	free(whole.received);
	free(parts.received);
	return 0;
}
