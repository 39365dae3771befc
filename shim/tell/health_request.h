/* The health endpoint's request parsing, apart from its sockets: what the
 * bytes received so far ask for. Pure (no I/O, no globals), so it can be
 * unit-tested and fuzzed. */
#ifndef LASTCALL_HEALTH_REQUEST_H
#define LASTCALL_HEALTH_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

enum lc_health_route {
	LC_HEALTH_INCOMPLETE, /* no end of headers yet: read more */
	LC_HEALTH_BAD,	      /* 400: not "GET|HEAD /path HTTP/1.x", or a NUL byte */
	LC_HEALTH_TOO_LARGE,  /* 400: headers do not fit in the buffer */
	LC_HEALTH_READY,
	LC_HEALTH_LIVE,
	LC_HEALTH_STATUS,
	LC_HEALTH_NOT_FOUND, /* 404 */
};

/* `buf` holds the `len` bytes received so far; a request may use at most
 * `limit` bytes. Sets *head for a HEAD request. Never reads past len. */
enum lc_health_route lc_health_parse(const char *buf, size_t len, size_t limit, bool *head);

#endif
