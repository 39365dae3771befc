/* Whether a descriptor is still the connection the table recorded, by the
 * kernel's word: what lastcall checks before it acts on a connection, or
 * looks for it in a child. */
#ifndef LASTCALL_IDENTITY_H
#define LASTCALL_IDENTITY_H

#include <stdbool.h>

#include "track/fdtable.h"

/* Is fd still the connection `seen` (an entry of kind LC_FD_CONNECTION)
 * describes, by the kernel's word? A connection whose identity was its
 * peer's address (LC_FD_PEER_ID) gets its socket's inode from here on, in
 * `seen` and in the table. A connection with no peer any more (reset, or
 * closed both ways) cannot be told from a socket that took its number:
 * false, as for a descriptor closed behind lastcall's back. */
bool lc_connection_identify(struct lc_fdtable *t, int fd, struct lc_fd_snapshot *seen);

#endif
