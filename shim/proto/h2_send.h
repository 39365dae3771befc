/* Sending a program's write on an HTTP/2 connection from the signal on:
 * lastcall's GOAWAY (proto/h2.h) goes out between two of the program's
 * frames — at the first frame boundary of the write, whole, before any
 * byte that follows it — under whatever partial counts the kernel gives.
 * The program is told how many of ITS bytes left; nothing it wrote is
 * sent twice or reordered. */
#ifndef LASTCALL_H2_SEND_H
#define LASTCALL_H2_SEND_H

#include <stdbool.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "proto/http1_send.h"

/* As lc_h1_send (proto/http1_send.h), for a connection whose proto is
 * LC_PROTO_H2. */
ssize_t lc_h2_send(struct lc_h1 *h, const struct iovec *iov, int iovcnt, bool closing,
		   lc_h1_send_fn send, void *ctx);

/* The bytes of lastcall's GOAWAY still to go (0: sent, or the program
 * sent its own), from offset LC_H2_GOAWAY_LEN - that of lc_h2_goaway:
 * a write cut short inside it, with nothing more from the program, left
 * the rest to the drain thread (track/connections.c), which sends it
 * before it closes the connection. */
size_t lc_h2_goaway_left(const struct lc_h1 *h);

#endif
