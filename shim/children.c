/* Children holding connections (see children.h). */
#include "children.h"

#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdscan.h"
#include "real.h"
#include "runtime.h"

#define INODES_PER_CHILD 16

struct child {
	_Atomic int pidfd; /* -1: free slot */
	pid_t pid;
	int inode_count;   /* > INODES_PER_CHILD: it holds "any" */
	uint64_t inodes[INODES_PER_CHILD];
};

static struct child children[LC_MAX_CHILDREN];
static _Atomic int initialised;

static void init_once(void)
{
	int expected = 0;
	if (atomic_compare_exchange_strong(&initialised, &expected, 1))
		for (int i = 0; i < LC_MAX_CHILDREN; i++)
			atomic_store(&children[i].pidfd, -1);
}

void lc_children_note_fork(pid_t pid)
{
	init_once();
	if (pid <= 0 || lc_fdtable_live(&lc_rt.table) == 0)
		return; /* no connection to inherit */
	int pidfd = (int)lc_real_syscall(SYS_pidfd_open, pid, 0, 0, 0, 0, 0);
	if (pidfd < 0)
		return;
	lc_real_fcntl(pidfd, F_SETFD, FD_CLOEXEC);
	for (int i = 0; i < LC_MAX_CHILDREN; i++) {
		struct child *c = &children[i];
		int expected = -1;
		if (!atomic_compare_exchange_strong(&c->pidfd, &expected, -2))
			continue; /* taken; -2 marks "being filled" */
		c->pid = pid;
		c->inode_count = 0;
		int max = lc_fdtable_max_fd(&lc_rt.table);
		for (int fd = 0; fd <= max; fd++) {
			struct lc_fd_snapshot s;
			if (!lc_fdtable_get(&lc_rt.table, fd, &s) || s.kind != LC_FD_CONNECTION)
				continue;
			if (c->inode_count < INODES_PER_CHILD)
				c->inodes[c->inode_count] = s.ino;
			if (++c->inode_count > INODES_PER_CHILD)
				break;
		}
		atomic_store(&c->pidfd, pidfd);
		return;
	}
	lc_real_close(pidfd); /* table full: this child is not waited for */
}

void lc_children_reset(void)
{
	init_once();
	for (int i = 0; i < LC_MAX_CHILDREN; i++) {
		int fd = atomic_exchange(&children[i].pidfd, -1);
		if (fd >= 0)
			lc_real_close(fd);
	}
}

struct holding_search {
	const struct child *child;
	bool holding;
};

static void check_child_fd(int fd, void *opaque)
{
	struct holding_search *search = opaque;
	char path[64], target[64];
	if (search->holding)
		return;
	snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)search->child->pid, fd);
	ssize_t n = readlink(path, target, sizeof target - 1);
	if (n <= 0)
		return;
	target[n] = '\0';
	unsigned long long ino;
	if (sscanf(target, "socket:[%llu]", &ino) != 1)
		return;
	if (search->child->inode_count > INODES_PER_CHILD) {
		search->holding = true; /* forked with many: any socket counts */
		return;
	}
	for (int i = 0; i < search->child->inode_count; i++)
		if (search->child->inodes[i] == ino)
			search->holding = true;
}

int lc_children_holding(int *pidfds, int max)
{
	init_once();
	int count = 0;
	for (int i = 0; i < LC_MAX_CHILDREN; i++) {
		struct child *c = &children[i];
		int pidfd = atomic_load(&c->pidfd);
		if (pidfd < 0)
			continue;
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		bool exited = poll(&p, 1, 0) > 0;
		bool holding = false;
		if (!exited) {
			char dir[32];
			snprintf(dir, sizeof dir, "/proc/%d/fd", (int)c->pid);
			struct holding_search search = {.child = c, .holding = false};
			lc_for_each_number(dir, check_child_fd, &search);
			holding = search.holding;
		}
		if (!holding) {
			/* gone, or done with our connections: forget it */
			if (atomic_compare_exchange_strong(&c->pidfd, &pidfd, -1))
				lc_real_close(pidfd);
			continue;
		}
		if (count < max)
			pidfds[count] = pidfd;
		count++;
	}
	return count;
}

bool lc_children_hold(uint64_t ino)
{
	init_once();
	for (int i = 0; i < LC_MAX_CHILDREN; i++) {
		struct child *c = &children[i];
		int pidfd = atomic_load(&c->pidfd);
		if (pidfd < 0)
			continue;
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		if (poll(&p, 1, 0) > 0)
			continue; /* exited */
		if (c->inode_count > INODES_PER_CHILD)
			return true;
		for (int k = 0; k < c->inode_count; k++)
			if (c->inodes[k] == ino)
				return true;
	}
	return false;
}
