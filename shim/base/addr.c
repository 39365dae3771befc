/* Address formatting (see addr.h). */
#include "base/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <stddef.h>
#include <sys/un.h>

const char *lc_addr_text(const struct sockaddr_storage *addr, socklen_t len,
			 char out[LC_ADDR_TEXT])
{
	char host[INET6_ADDRSTRLEN];
	out[0] = '\0';
	if (addr->ss_family == AF_INET) {
		const struct sockaddr_in *v4 = (const struct sockaddr_in *)addr;
		inet_ntop(AF_INET, &v4->sin_addr, host, sizeof host);
		snprintf(out, LC_ADDR_TEXT, "%s:%u", host, ntohs(v4->sin_port));
	} else if (addr->ss_family == AF_INET6) {
		const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)addr;
		inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof host);
		snprintf(out, LC_ADDR_TEXT, "[%s]:%u", host, ntohs(v6->sin6_port));
	} else if (addr->ss_family == AF_UNIX) {
		const struct sockaddr_un *un = (const struct sockaddr_un *)addr;
		size_t path_len = len > offsetof(struct sockaddr_un, sun_path)
					  ? len - offsetof(struct sockaddr_un, sun_path)
					  : 0;
		if (path_len == 0)
			snprintf(out, LC_ADDR_TEXT, "unix:(unnamed)");
		else if (un->sun_path[0] == '\0')
			snprintf(out, LC_ADDR_TEXT, "unix:@%.*s", (int)(path_len - 1), un->sun_path + 1);
		else
			snprintf(out, LC_ADDR_TEXT, "unix:%.*s", (int)strnlen(un->sun_path, path_len),
				 un->sun_path);
	} else {
		snprintf(out, LC_ADDR_TEXT, "family %d", addr->ss_family);
	}
	return out;
}

const char *lc_local_text(int fd, char out[LC_ADDR_TEXT])
{
	struct sockaddr_storage addr;
	socklen_t len = sizeof addr;
	memset(&addr, 0, sizeof addr);
	if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
		snprintf(out, LC_ADDR_TEXT, "?");
		return out;
	}
	return lc_addr_text(&addr, len, out);
}

const char *lc_peer_text(int fd, char out[LC_ADDR_TEXT])
{
	struct sockaddr_storage addr;
	socklen_t len = sizeof addr;
	memset(&addr, 0, sizeof addr);
	if (getpeername(fd, (struct sockaddr *)&addr, &len) < 0) {
		snprintf(out, LC_ADDR_TEXT, "?");
		return out;
	}
	return lc_addr_text(&addr, len, out);
}

unsigned lc_local_port(int fd)
{
	struct sockaddr_storage addr;
	socklen_t len = sizeof addr;
	if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0)
		return 0;
	if (addr.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&addr)->sin_port);
	if (addr.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
	return 0;
}
