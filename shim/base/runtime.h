/* Layer base/, the bottom: the configuration (config), the clock and
 * futex waits, lastcall's own threads, address text, room for
 * descriptors, the async-signal-safe log, the real-function table (real:
 * every layer reaches libc through it, so it sits here rather than with
 * the exports in hook/), and the process-wide state in this file. May
 * call: libc only.
 *
 * The process-wide state of lastcall, at the bottom because every layer
 * reads it: the configuration, the phase of the shutdown, the counts, and
 * the two wake-ups by which a signal handler or a wrapper reaches
 * lastcall's threads (record, then wake: lc_wake for the drain thread,
 * lc_request_forced_end for the watchdog). Everything a signal handler or
 * a wrapper touches is atomic; the drain thread owns the rest.
 *
 * Owns: lc_rt and its wake-ups. Calls: the real-function table only.
 * State with an owner higher up stays there: the descriptor table
 * (track/fdtable.h), the program's dispositions (signal/signals.c). */
#ifndef LASTCALL_RUNTIME_H
#define LASTCALL_RUNTIME_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/config.h"

enum lc_phase {
	LC_PHASE_SERVING = 0,
	LC_PHASE_NOTICED,  /* signal recorded; readiness fails */
	LC_PHASE_DELAY,	   /* still serving for --delay */
	LC_PHASE_STOPPING, /* new handshakes dropped, backlog being served */
	LC_PHASE_DRAINING, /* listeners closed, connections finishing */
	LC_PHASE_EXIT,	   /* signal handed back to the program */
};

/* Events that wake the drain thread. */
#define LC_EV_SIGNAL 0x1    /* first shutdown signal */
#define LC_EV_SKIP 0x2	    /* second signal: go to the exit phase now */
#define LC_EV_CLOSED 0x4    /* a tracked connection was closed */
#define LC_EV_ACCEPTED 0x8  /* a connection was accepted while stopping */
#define LC_EV_EXIT_CALL 0x10 /* a handed-back default action: call exit() */
#define LC_EV_PARENT 0x20   /* the parent that feeds us connections has stopped */

/* Counts for the log and the report (SPEC "Shutdown report"). */
struct lc_counts {
	_Atomic long accepted_before_signal;
	_Atomic long served_from_backlog;
	_Atomic long closed_idle;
	_Atomic long closed_by_protocol; /* of closed_idle: the protocol said done */
	_Atomic long closed_after_quiet; /* WebSockets sent Close 1001 after the quiet time */
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

/* The watchdog's word (drain/watchdog.c waits on it with a futex). */
enum lc_watch_state { LC_WATCH_IDLE, LC_WATCH_ARMED, LC_WATCH_FORCED };
struct lc_watch {
	_Atomic int state;
	_Atomic int64_t deadline_ns; /* CLOCK_MONOTONIC, once ARMED */
	_Atomic int forced_status;   /* once FORCED */
	_Atomic bool running;	     /* a watchdog thread runs in this process */
};

struct lc_runtime {
	struct lc_config cfg;

	_Atomic pid_t drain_tid; /* this process's drain thread, once started */
	bool health_here;	 /* this process serves the health endpoint */
	int wake_fd; /* eventfd read by the drain thread */
	_Atomic int events;
	struct lc_watch watch;

	struct lc_shared_page *own_page;    /* read by our children */
	struct lc_shared_page *parent_page; /* our parent's, if forked from one */
	_Atomic int forks;		    /* fork() calls since start */
	_Atomic int program_exiting;	    /* the program called exit() */
	bool socket_activated;		    /* LISTEN_FDS was meant for us */
	/* The program asked lastcall_shutting_down(): it ends its own
	 * streams (judge/idle.h, the stream quiet time). */
	atomic_bool program_asks;
	/* When the listeners stopped (CLOCK_MONOTONIC): an idle keep-alive
	 * connection gets its grace from then (lc_closing_flag). */
	_Atomic int64_t stopping_ns;
	_Atomic int signals_received;
	_Atomic int first_signal;
	/* Connections were handed to this process over SCM_RIGHTS by another
	 * (node's cluster: by its parent, which accepts them). */
	atomic_bool handed_connections;
	/* This process handed a connection of its own to another over
	 * SCM_RIGHTS (node's cluster primary): it feeds workers, which are
	 * told to drain once its listeners are closed (lc_children_forward). */
	atomic_bool hands_connections;
	/* Its parent still hands it connections: the shutdown signal came
	 * from someone else (a group's signal), and the drain waits for the
	 * parent's own, sent once its listeners are closed. */
	atomic_bool awaiting_parent;
	/* The first signal was that parent's: it served the delay already. */
	atomic_bool parent_delayed;
	struct lc_counts counts;
};

extern struct lc_runtime lc_rt;

/* From the signal on (after --delay): responses that start get
 * Connection: close (proto/http1.h). Outside lc_rt because every write of
 * a connection loads it: it sits with the rest of that path's data
 * (LC_HOT_DATA, base/export.h). */
extern _Atomic int lc_closing_flag;

/* Async-signal-safe: records events and wakes the drain thread. */
void lc_wake(int events);

/* A third signal: asks the watchdog to write the report and end the
 * process with `status`. Async-signal-safe. Returns false when no
 * watchdog runs in this process: the caller must end it itself. */
bool lc_request_forced_end(int status);
/* True once a third signal asked for it: the process is ending with that
 * signal's status, and no other exit may overtake it. */
bool lc_forced_end_requested(void);

/* Async-signal-safe: responses say Connection: close from now on. */
void lc_start_closing(void);
static inline int lc_closing(void)
{
	return atomic_load_explicit(&lc_closing_flag, memory_order_relaxed);
}

/* The process whose drain thread runs (0: none in this process, which
 * activates at its first listen or accept: hook/lifecycle.h). Loaded by
 * every accept: with the rest of its data (LC_HOT_DATA), like the phase
 * below. */
extern _Atomic pid_t lc_running_pid;

/* The phase (enum lc_phase). Outside lc_rt for the reason the closing
 * flag is: every accept and every close loads it (a close of a file
 * too), and in lc_rt it took them to a page of their own, a TLB miss
 * after each system call on the project's VM (doc/performance.md). It
 * sits with the rest of their data (LC_HOT_DATA, base/export.h). */
extern _Atomic int lc_current_phase;

static inline int lc_phase(void)
{
	return atomic_load_explicit(&lc_current_phase, memory_order_acquire);
}
void lc_set_phase(enum lc_phase phase);

/* The phase of the process that owns (called listen on) a listener we
 * inherited by fork: LC_PHASE_SERVING if unknown. */
int lc_owner_phase(pid_t owner);

/* The page this process shares with the children it forks. */
struct lc_shared_page *lc_shared_page_new(void);

/* In a fork child: the state of a process that has not activated, the
 * parent's page kept as the parent's. */
void lc_runtime_reset_in_child(void);

#endif
