/* Sending a program's write on an HTTP/1.x connection, with lastcall's
 * edits (proto/http1.h: Connection: close from the signal on), under
 * whatever partial counts the kernel gives. Pure but for the send
 * function it is given: the hooks pass the real system call, the unit
 * tests a fake kernel. */
#ifndef LASTCALL_HTTP1_SEND_H
#define LASTCALL_HTTP1_SEND_H

#include <stdbool.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "proto/http1.h"
#include "proto/send.h"



/* Writes the program's `iov` (at most 32 pieces are edited; a longer
 * write goes out unchanged and the connection is no longer followed),
 * feeding the tracker with what left. `closing`: from the signal on.
 * Returns how many of the PROGRAM's bytes left (lastcall's own never
 * count), or -1 with errno. 0 for a non-empty write means only
 * lastcall's bytes left this time (a header cut short before): the
 * caller sends again, or reports EAGAIN to a nonblocking program. */
ssize_t lc_h1_send(struct lc_h1 *h, const struct iovec *iov, int iovcnt, bool closing,
		   lc_h1_send_fn send, void *ctx);

#endif
