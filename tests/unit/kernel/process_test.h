/* What the tests of shim/kernel/ that start real processes share: ending
 * a child together with the children it started (found in /proc), and
 * reaping it. */
#ifndef LASTCALL_PROCESS_TEST_H
#define LASTCALL_PROCESS_TEST_H

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "kernel/proctree.h"

static inline void end_child(pid_t pid)
{
	static struct lc_proctree below;
	lc_proctree_read(&below);
	pid_t kids[8];
	int n = lc_proctree_children(&below, pid, kids, 8);
	for (int i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

#endif
