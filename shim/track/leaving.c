/* Replies still leaving (see leaving.h). */
#include "track/leaving.h"

#include <linux/sockios.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "kernel/sockdiag.h"

#define MAX_LEAVING 4096

static struct {
	_Atomic int state; /* 0 free, 1 being filled, 2 leaving */
	struct sockaddr_storage local, peer;
} leaving[MAX_LEAVING];

void lc_leaving_note(int fd)
{
	int unsent = 0;
	if (ioctl(fd, SIOCOUTQ, &unsent) < 0 || unsent <= 0)
		return;
	struct sockaddr_storage local, peer;
	socklen_t llen = sizeof local, plen = sizeof peer;
	if (getsockname(fd, (struct sockaddr *)&local, &llen) < 0 ||
	    getpeername(fd, (struct sockaddr *)&peer, &plen) < 0 ||
	    (local.ss_family != AF_INET && local.ss_family != AF_INET6))
		return;
	for (int i = 0; i < MAX_LEAVING; i++) {
		int expected = 0;
		if (!atomic_compare_exchange_strong(&leaving[i].state, &expected, 1))
			continue;
		leaving[i].local = local;
		leaving[i].peer = peer;
		atomic_store(&leaving[i].state, 2);
		return;
	}
}

int lc_leaving_count(void)
{
	int count = 0;
	for (int i = 0; i < MAX_LEAVING; i++) {
		if (atomic_load(&leaving[i].state) != 2)
			continue;
		if (lc_tcp_send_queue(&leaving[i].local, &leaving[i].peer) == 0)
			atomic_store(&leaving[i].state, 0);
		else
			count++;
	}
	return count;
}
