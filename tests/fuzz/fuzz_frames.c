/* HTTP/2 and WebSocket frame tracking does not depend on how the bytes
 * were cut: any bytes, fed whole and fed in random pieces, both ways,
 * leave the same verdict, the same open streams, the same state.
 *
 * Input: byte 0 picks the protocol (modulo 3: HTTP/2 after the client
 * preface; WebSocket after a 101; HTTP/2 after a 101 to h2c, whose
 * client preface is then the first of the client's bytes) and seeds the
 * cuts; byte 1 how many of the rest the client sends (the rest the
 * program writes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http1.h"
#include "../proto_test.h"

enum start { PRIOR_KNOWLEDGE, WEBSOCKET, H2C };

static void start(struct lc_h1 *h, enum start how)
{
	static const char upgrade[] = "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
	static const char switching[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
					"Connection: Upgrade\r\n\r\n";
	static const char to_h2c[] = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n"
				     "Connection: Upgrade\r\n\r\n";
	lc_h1_reset(h);
	if (how == PRIOR_KNOWLEDGE) {
		lc_h1_read(h, LC_H2_PREFACE, LC_H2_PREFACE_LEN);
		return;
	}
	lc_h1_read(h, upgrade, sizeof upgrade - 1); /* the request's Upgrade does not decide */
	if (how == WEBSOCKET)
		lc_h1_wrote(h, switching, sizeof switching - 1, false, NULL, 0);
	else
		lc_h1_wrote(h, to_h2c, sizeof to_h2c - 1, false, NULL, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	enum start how = (enum start)(data[0] % 3);
	unsigned seed = data[0];
	const uint8_t *rest = data + 2;
	size_t n = size - 2, from_client = data[1] % (n + 1);
	struct lc_h1 whole, cut;
	start(&whole, how);
	start(&cut, how);
	/* the client first, then the program: each side is one thread's */
	feed_cut(&whole, rest, from_client, true, NULL, 11);
	feed_cut(&whole, rest + from_client, n - from_client, false, NULL, 11);
	feed_cut(&cut, rest, from_client, true, &seed, 11);
	feed_cut(&cut, rest + from_client, n - from_client, false, &seed, 11);
	if (whole.proto != cut.proto || lc_h1_judge(&whole) != lc_h1_judge(&cut) ||
	    whole.read_seen != cut.read_seen || whole.written_seen != cut.written_seen)
		abort();
	if (whole.proto == LC_PROTO_H2 &&
	    (lc_h2_open_streams(&whole.h2_open) != lc_h2_open_streams(&cut.h2_open) ||
	     memcmp(&whole.h2_read, &cut.h2_read, sizeof whole.h2_read) != 0 ||
	     memcmp(&whole.h2_write, &cut.h2_write, sizeof whole.h2_write) != 0 ||
	     whole.h2_goaway != cut.h2_goaway))
		abort();
	if (whole.proto == LC_PROTO_WS &&
	    (memcmp(&whole.ws_read, &cut.ws_read, sizeof whole.ws_read) != 0 ||
	     memcmp(&whole.ws_write, &cut.ws_write, sizeof whole.ws_write) != 0 ||
	     whole.last_close != cut.last_close || whole.h2_goaway != cut.h2_goaway))
		abort();
	return 0;
}
