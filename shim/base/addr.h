/* Socket addresses as operators read them: 127.0.0.1:8080, [::1]:8080,
 * unix:/run/app.sock. */
#ifndef LASTCALL_ADDR_H
#define LASTCALL_ADDR_H

#include <sys/socket.h>

#define LC_ADDR_TEXT 112

const char *lc_addr_text(const struct sockaddr_storage *addr, socklen_t len,
			 char out[LC_ADDR_TEXT]);
const char *lc_local_text(int fd, char out[LC_ADDR_TEXT]);
const char *lc_peer_text(int fd, char out[LC_ADDR_TEXT]);
/* The port of a local address, 0 for non-IP sockets. */
unsigned lc_local_port(int fd);

#endif
