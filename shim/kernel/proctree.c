/* The process tree from /proc (see proctree.h). */
#include "kernel/proctree.h"

#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "base/fdroom.h"
#include "base/real.h"
#include "kernel/fdscan.h"

/* Deep enough for npm → sh → bash → node; a bound, so a loop in a
 * corrupted parent chain (a pid reused between two reads) cannot recurse
 * for ever. */
#define MAX_DEPTH 16

static long parse_long(const char **p)
{
	long v = 0;
	while (**p == ' ')
		(*p)++;
	bool negative = **p == '-';
	if (negative)
		(*p)++;
	for (; **p >= '0' && **p <= '9'; (*p)++)
		v = v * 10 + (**p - '0');
	return negative ? -v : v;
}

bool lc_proc_is_ours(void)
{
	char link[32];
	ssize_t n = readlink("/proc/self", link, sizeof link - 1);
	if (n <= 0)
		return false;
	link[n] = '\0';
	const char *p = link;
	return parse_long(&p) == (long)getpid() && *p == '\0';
}

static void add_process(int pid, void *ctx)
{
	struct lc_proctree *tree = ctx;
	if (tree->n >= LC_PROCTREE_MAX) {
		tree->truncated = true;
		return;
	}
	char buf[512];
	if (lc_proc_read(pid, 0, "stat", buf, sizeof buf) <= 0)
		return; /* exited meanwhile */
	/* "PID (comm) S PPID PGRP ...": comm may hold spaces and
	 * parentheses, so the fields follow the last ')'. */
	const char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || !p[2])
		return;
	p += 3; /* past the state letter */
	struct lc_proc *proc = &tree->procs[tree->n++];
	proc->pid = pid;
	proc->ppid = (pid_t)parse_long(&p);
	proc->pgid = (pid_t)parse_long(&p);
}

int lc_proctree_read(struct lc_proctree *tree)
{
	tree->n = 0;
	tree->truncated = false;
	if (lc_for_each_number("/proc", add_process, tree) < 0)
		return -1;
	return tree->n;
}

int lc_proctree_children(const struct lc_proctree *tree, pid_t parent, pid_t *out, int max)
{
	int found = 0;
	for (int i = 0; i < tree->n && found < max; i++)
		if (tree->procs[i].ppid == parent && tree->procs[i].pid != parent)
			out[found++] = tree->procs[i].pid;
	return found;
}

bool lc_descendants_hold_socket(uint64_t ino, struct lc_proctree *tree)
{
	if (!lc_proc_is_ours() || lc_proctree_read(tree) < 0 || tree->truncated)
		return true;
	enum { MAX_DESCENDANTS = 512 };
	pid_t found[MAX_DESCENDANTS];
	int count = lc_proctree_children(tree, getpid(), found, MAX_DESCENDANTS);
	if (count == MAX_DESCENDANTS)
		return true;
	/* Breadth first: each one's children go to the end of the list. */
	for (int i = 0; i < count; i++) {
		if (lc_proc_has_socket(found[i], ino))
			return true;
		count += lc_proctree_children(tree, found[i], found + count, MAX_DESCENDANTS - count);
		if (count == MAX_DESCENDANTS)
			return true; /* the list is full: not certain */
	}
	return false;
}

struct thread_look {
	pid_t pid;
	enum lc_server_state state;
	bool closed; /* its drain thread says its listeners are closed */
};

static void look_at_thread(int tid, void *ctx)
{
	struct thread_look *look = ctx;
	char name[32];
	ssize_t n = lc_proc_read(look->pid, tid, "comm", name, sizeof name);
	if (n <= 0)
		return;
	if (name[n - 1] == '\n')
		name[n - 1] = '\0';
	if (strcmp(name, LC_DRAIN_THREAD_DRAINING) == 0 || strcmp(name, LC_DRAIN_THREAD_CLOSED) == 0)
		look->state = LC_SERVER_DRAINING;
	if (strcmp(name, LC_DRAIN_THREAD_CLOSED) == 0)
		look->closed = true;
	else if (strcmp(name, LC_DRAIN_THREAD_READY) == 0 && look->state == LC_SERVER_NONE)
		look->state = LC_SERVER_READY;
}

/* A shutdown signal in the process's shared pending set ("ShdPnd:", hex,
 * bit sig-1): sent, not yet taken by a handler. */
static bool shutdown_signal_pending(pid_t pid, const sigset_t *shutdown_signals)
{
	char buf[2048];
	if (lc_proc_read(pid, 0, "status", buf, sizeof buf) <= 0)
		return false;
	const char *line = strstr(buf, "\nShdPnd:");
	if (!line)
		return false;
	const char *p = line + 8;
	while (*p == '\t' || *p == ' ')
		p++;
	unsigned long long mask = 0;
	for (; *p && *p != '\n'; p++) {
		int digit = *p >= '0' && *p <= '9'   ? *p - '0'
			    : *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
						     : -1;
		if (digit < 0)
			return false;
		mask = mask << 4 | (unsigned)digit;
	}
	for (int sig = 1; sig <= 64 && sig < NSIG; sig++)
		if ((mask >> (sig - 1) & 1) && sigismember(shutdown_signals, sig) == 1)
			return true;
	return false;
}

bool lc_server_listeners_closed(pid_t pid)
{
	char path[64];
	lc_proc_path(path, pid, 0, "task");
	struct thread_look look = {.pid = pid, .state = LC_SERVER_NONE};
	lc_for_each_number(path, look_at_thread, &look);
	return look.closed;
}

enum lc_server_state lc_server_state(pid_t pid, const sigset_t *shutdown_signals)
{
	char path[64];
	lc_proc_path(path, pid, 0, "task");
	struct thread_look look = {.pid = pid, .state = LC_SERVER_NONE};
	lc_for_each_number(path, look_at_thread, &look);
	if (look.state == LC_SERVER_READY && shutdown_signal_pending(pid, shutdown_signals))
		look.state = LC_SERVER_DRAINING;
	return look.state;
}

static enum lc_server_state subtree_state(const struct lc_proctree *tree, pid_t pid,
					  const sigset_t *shutdown_signals, int depth)
{
	enum lc_server_state state = lc_server_state(pid, shutdown_signals);
	if (state == LC_SERVER_DRAINING || depth >= MAX_DEPTH)
		return state;
	for (int i = 0; i < tree->n; i++) {
		if (tree->procs[i].ppid != pid || tree->procs[i].pid == pid)
			continue;
		enum lc_server_state below =
			subtree_state(tree, tree->procs[i].pid, shutdown_signals, depth + 1);
		if (below > state)
			state = below;
		if (state == LC_SERVER_DRAINING)
			break;
	}
	return state;
}

enum lc_server_state lc_subtree_server_state(const struct lc_proctree *tree, pid_t pid,
					     const sigset_t *shutdown_signals)
{
	return subtree_state(tree, pid, shutdown_signals, 0);
}

static bool subtree_any(const struct lc_proctree *tree, const struct lc_proc *proc,
			bool (*marked)(pid_t, pid_t, void *), void *ctx, int depth)
{
	if (marked(proc->pid, proc->pgid, ctx))
		return true;
	if (depth >= MAX_DEPTH)
		return false;
	for (int i = 0; i < tree->n; i++)
		if (tree->procs[i].ppid == proc->pid && tree->procs[i].pid != proc->pid &&
		    subtree_any(tree, &tree->procs[i], marked, ctx, depth + 1))
			return true;
	return false;
}

bool lc_subtree_any(const struct lc_proctree *tree, pid_t pid,
		    bool (*marked)(pid_t pid, pid_t pgid, void *ctx), void *ctx)
{
	for (int i = 0; i < tree->n; i++)
		if (tree->procs[i].pid == pid)
			return subtree_any(tree, &tree->procs[i], marked, ctx, 0);
	return false;
}

void lc_proc_comm(pid_t pid, char *out, size_t size)
{
	ssize_t n = size > 1 ? lc_proc_read(pid, 0, "comm", out, size) : -1;
	if (n <= 0) {
		if (size > 1)
			strcpy(out, "?");
		return;
	}
	if (out[n - 1] == '\n')
		out[n - 1] = '\0';
}

void lc_name_thread(pid_t tid, const char *name)
{
	char path[80];
	lc_proc_path(path, 0, tid, "comm");
	/* /proc/self/task/TID/comm of our own threads: writable by us. */
	int fd = LC_WITH_ROOM(open(path, O_WRONLY | O_CLOEXEC));
	if (fd < 0)
		return;
	ssize_t ignored = lc_real_write(fd, name, strlen(name));
	(void)ignored;
	lc_real_close(fd);
}
