/* Connection identity (see identity.h). */
#include "track/identity.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

bool lc_connection_identify(struct lc_fdtable *t, int fd, struct lc_fd_snapshot *seen)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return false;
	if (!(seen->since & LC_FD_PEER_ID))
		return lc_fd_same_ino(seen->ino, st.st_ino);
	/* Only a socket in CLOSE (its peer reset it, or both sides closed)
	 * or still connecting has no peer: a connection already gone, which
	 * the program finds out at its next read or write. */
	struct sockaddr_in6 peer;
	socklen_t len = sizeof peer;
	uint32_t id;
	if (getpeername(fd, (struct sockaddr *)&peer, &len) != 0 ||
	    !lc_fd_peer_id(&peer, len, &id) || id != seen->ino)
		return false;
	lc_fdtable_adopt_ino(t, fd, seen, st.st_ino);
	return true;
}
