/* Replies still leaving (see leaving.h). */
#include "track/leaving.h"

#include <linux/sockios.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "kernel/sockdiag.h"

#define MAX_LEAVING 4096

/* The states apart from the addresses, and scanned only up to the highest
 * slot ever used: the exit phase asks on every wakeup, and walking 4096
 * entries of 520 bytes (first touch: 520 page faults) cost the hand-back
 * 3.5 ms after the program's last close. */
static _Atomic int state[MAX_LEAVING]; /* 0 free, 1 being filled, 2 leaving */
static struct {
	struct sockaddr_storage local, peer;
} leaving[MAX_LEAVING];
static _Atomic int slots_used;

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
		if (!atomic_compare_exchange_strong(&state[i], &expected, 1))
			continue;
		leaving[i].local = local;
		leaving[i].peer = peer;
		int used = atomic_load(&slots_used);
		while (used < i + 1 && !atomic_compare_exchange_weak(&slots_used, &used, i + 1))
			;
		atomic_store(&state[i], 2);
		return;
	}
}

int lc_leaving_count(void)
{
	int count = 0, used = atomic_load(&slots_used);
	for (int i = 0; i < used; i++) {
		if (atomic_load(&state[i]) != 2)
			continue;
		if (lc_tcp_send_queue(&leaving[i].local, &leaving[i].peer) == 0)
			atomic_store(&state[i], 0);
		else
			count++;
	}
	return count;
}
