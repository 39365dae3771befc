/* A length of 40 bits, kept as a low word and a high byte: how the
 * framing sides keep their `left` (HTTP/1.x bodies and chunks, WebSocket
 * frames), so that a side is 12 bytes and a connection's state 48
 * (proto/http1.h). A length of 2^40 (1 TiB) or more is not followed. */
#ifndef LASTCALL_LEN40_H
#define LASTCALL_LEN40_H

#include <stdint.h>

#define LC_LEN40_MAX ((1ULL << 40) - 1)

static inline uint64_t lc_len40(uint32_t low, uint8_t high)
{
	return (uint64_t)high << 32 | low;
}

/* n at most LC_LEN40_MAX. */
static inline void lc_len40_set(uint32_t *low, uint8_t *high, uint64_t n)
{
	*low = (uint32_t)n;
	*high = (uint8_t)(n >> 32);
}

#endif
