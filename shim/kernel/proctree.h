/* The process tree as /proc shows it, and which processes in it run
 * lastcall as a server — read with system calls into static or stack
 * buffers only (no malloc, no stdio): it runs in the signal handler of a
 * wrapper (sh, bash, npm) that has no lastcall thread to hand work to.
 *
 * A process serves under lastcall when it has lastcall's drain thread:
 * named "lastcall-ready" until a shutdown signal, "lastcall-drain" from
 * the signal on (the name is written from the signal handler, so another
 * process can tell a server that is draining from one never signalled),
 * "lastcall-closed" once its listeners are closed in a server that hands
 * connections to workers of its own (node's cluster). */
#ifndef LASTCALL_PROCTREE_H
#define LASTCALL_PROCTREE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define LC_DRAIN_THREAD_READY "lastcall-ready"
#define LC_DRAIN_THREAD_DRAINING "lastcall-drain"
/* Draining, and its listeners are closed: it hands no more connections to
 * the workers it feeds (node's cluster; only such a server takes this
 * name). Draining to everyone else. */
#define LC_DRAIN_THREAD_CLOSED "lastcall-closed"

#define LC_PROCTREE_MAX 4096

struct lc_proc {
	pid_t pid, ppid, pgid;
};

struct lc_proctree {
	int n;
	bool truncated; /* more processes than LC_PROCTREE_MAX */
	struct lc_proc procs[LC_PROCTREE_MAX];
};

/* Is /proc this process's own PID namespace's? In a PID namespace whose
 * /proc was not remounted (`unshare -pf` without --mount-proc), /proc
 * numbers processes as the parent namespace does, and a pid read there
 * would signal some other process. */
bool lc_proc_is_ours(void);

/* Reads every process's parent and group. Returns the count, -1 on error. */
int lc_proctree_read(struct lc_proctree *tree);

/* The children of `parent` in `tree`: up to `max` pids; returns how many. */
int lc_proctree_children(const struct lc_proctree *tree, pid_t parent, pid_t *out, int max);

enum lc_server_state {
	LC_SERVER_NONE = 0, /* not a lastcall server */
	LC_SERVER_READY,    /* serves, no shutdown signal yet */
	LC_SERVER_DRAINING, /* a shutdown signal is pending or being drained */
};

/* What `pid` is, from its threads' names and its pending signals (a
 * signal just sent is pending before any handler of the target runs). */
enum lc_server_state lc_server_state(pid_t pid, const sigset_t *shutdown_signals);

/* `pid` is a lastcall server whose listeners are closed (its drain
 * thread is named LC_DRAIN_THREAD_CLOSED). */
bool lc_server_listeners_closed(pid_t pid);

/* The most advanced state in the subtree of `pid`, itself included. */
enum lc_server_state lc_subtree_server_state(const struct lc_proctree *tree, pid_t pid,
					     const sigset_t *shutdown_signals);

/* Whether `pid`'s subtree (itself included) holds a process for which
 * `marked(pid, pgid, ctx)` is true. */
bool lc_subtree_any(const struct lc_proctree *tree, pid_t pid,
		    bool (*marked)(pid_t pid, pid_t pgid, void *ctx), void *ctx);

/* Whether a process below this one holds socket `ino` (its /proc/PID/fd):
 * a prefork worker holds its master's listener; a CGI child that exec'd
 * its script does not (servers make their listeners close-on-exec).
 * `scratch` is filled with the process tree. True whenever the answer is
 * not certain: a /proc of another PID namespace, more processes than the
 * tree holds, a descendant whose descriptors cannot be read. */
bool lc_descendants_hold_socket(uint64_t ino, struct lc_proctree *scratch);

/* The command name (/proc/PID/comm) into `out`; "?" if gone. */
void lc_proc_comm(pid_t pid, char *out, size_t size);

/* Names this process's thread `tid` (writes /proc/self/task/TID/comm:
 * async-signal-safe, unlike pthread_setname_np). */
void lc_name_thread(pid_t tid, const char *name);

#endif
