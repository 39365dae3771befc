/* The state lastcall keeps in a process, shared by the wrappers, the
 * signal handler and the drain thread. Everything the signal handler or a
 * wrapper touches is atomic; the drain thread owns the rest. */
#ifndef LASTCALL_RUNTIME_H
#define LASTCALL_RUNTIME_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#include "base/config.h"
#include "signal/dispositions.h"
#include "track/fdtable.h"

enum lc_phase {
	LC_PHASE_SERVING = 0,
	LC_PHASE_NOTICED,  /* signal recorded; readiness fails */
	LC_PHASE_DELAY,	   /* still serving for --delay */
	LC_PHASE_STOPPING, /* new handshakes dropped, backlog being served */
	LC_PHASE_DRAINING, /* listeners closed, connections finishing */
	LC_PHASE_EXIT,	   /* signal handed back to the program */
};

enum lc_handback_mode {
	LC_HANDBACK_NONE = 0,
	LC_HANDBACK_HANDLER,   /* the program's own handler runs */
	LC_HANDBACK_PENDING,   /* left pending for its signalfd/sigwait */
	LC_HANDBACK_EXIT_CALL, /* default action: lastcall calls exit() */
};

/* Events that wake the drain thread. */
#define LC_EV_SIGNAL 0x1    /* first shutdown signal */
#define LC_EV_SKIP 0x2	    /* second signal: go to the exit phase now */
#define LC_EV_CLOSED 0x4    /* a tracked connection was closed */
#define LC_EV_ACCEPTED 0x8  /* a connection was accepted while stopping */
#define LC_EV_EXIT_CALL 0x10 /* a handed-back default action: call exit() */

/* Counts for the log and the report (SPEC "Shutdown report"). */
struct lc_counts {
	_Atomic long accepted_before_signal;
	_Atomic long served_from_backlog;
	_Atomic long closed_idle;
	_Atomic long drained;
	_Atomic long cut_at_deadline;
};

/* A page shared with the children a process forks: they read their
 * parent's phase through it (a prefork worker learns that the owner of
 * the listener it shares is shutting down too). */
struct lc_shared_page {
	_Atomic pid_t pid;
	_Atomic int phase;
};

struct lc_runtime {
	struct lc_config cfg;
	struct lc_fdtable table;
	struct lc_disposition disp[NSIG];

	/* Our handler is in the kernel for cfg.signals. Inherited by fork
	 * children, like the kernel's dispositions themselves. */
	_Atomic int installed;
	/* The process whose drain thread runs (0: none in this process). */
	_Atomic pid_t running_pid;
	int wake_fd; /* eventfd read by the drain thread */
	_Atomic int events;

	_Atomic int phase;
	struct lc_shared_page *own_page;    /* read by our children */
	struct lc_shared_page *parent_page; /* our parent's, if forked from one */
	_Atomic int forks;		    /* fork() calls since start */
	_Atomic int program_exiting;	    /* the program called exit() */
	bool socket_activated;		    /* LISTEN_FDS was meant for us */
	_Atomic int signals_received;
	_Atomic int first_signal;
	siginfo_t first_info;
	_Atomic int handback_mode;
	_Atomic int handback_pending; /* signal number being handed back */
	struct lc_counts counts;
};

extern struct lc_runtime lc_rt;

/* Async-signal-safe: records events and wakes the drain thread. */
void lc_wake(int events);

static inline bool lc_is_managed(int sig)
{
	return sig > 0 && sig < NSIG && atomic_load(&lc_rt.installed) &&
	       sigismember(&lc_rt.cfg.signals, sig) == 1;
}

static inline int lc_phase(void)
{
	return atomic_load_explicit(&lc_rt.phase, memory_order_acquire);
}

/* The phase of the process that owns (called listen on) a listener we
 * inherited by fork: LC_PHASE_SERVING if unknown. */
int lc_owner_phase(pid_t owner);
void lc_set_phase(enum lc_phase phase);

#endif
