/* A process that never served but started servers under lastcall: a start
 * script (sh, bash), `npm start`, a container's entrypoint. The
 * orchestrator signals it, not the server inside (SPEC "Programs started
 * through a wrapper").
 *
 * - A shutdown signal that would end it (default action) is forwarded to
 *   its children that serve under lastcall (or lead to one that does), and
 *   it holds — inside the signal handler, the only place a process with no
 *   lastcall thread can wait — until they have exited or the total
 *   deadline has passed; then it ends as the signal would have ended it.
 * - With a handler of its own (a `trap`), the handler runs as usual; its
 *   exit during the shutdown (exit, _exit, the end of main) first waits
 *   for its children that are draining: signalled by it (its `kill` is
 *   noted), or draining for any other reason.
 * - As PID 1 of a PID namespace, where the kernel drops a signal left at
 *   its default action, it does the same instead of ignoring SIGTERM,
 *   reaps the zombies of reparented descendants while it holds (an init's
 *   duty), and ends with 128 + the signal.
 *
 * Async-signal-safe throughout: system calls into static buffers. */
#ifndef LASTCALL_WRAPPER_H
#define LASTCALL_WRAPPER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "signal/dispositions.h"

enum lc_wrapper_verdict {
	LC_WRAPPER_DELIVER, /* the program's disposition applies now */
	LC_WRAPPER_DONE,    /* taken care of: nothing more to do */
};

/* A shutdown signal in a process that does not serve. `kind`: the
 * program's disposition for it. May hold for as long as the deadline. */
enum lc_wrapper_verdict lc_wrapper_signal(int sig, const siginfo_t *info, enum lc_disp_kind kind);

/* Two deliveries of one shutdown: a signal to a whole process group or
 * cgroup (a terminal's ^C, systemd's KillMode=control-group) reaches the
 * server and, through its wrapper's forwarding, reaches it again a moment
 * later. A repeat of the first signal within this window, from another
 * sender and not from the process itself, is that duplicate, not an
 * operator's impatient second signal. */
#define LC_DUPLICATE_WINDOW_NS (250 * 1000 * 1000LL)
bool lc_signal_is_duplicate(int first_sig, pid_t first_pid, int first_code, int64_t first_ns,
			    int sig, const siginfo_t *info, int64_t now_ns);

/* The program sent `sig` to `target` (kill's pid argument). */
void lc_wrapper_note_kill(pid_t target, int sig);

/* The program is exiting (exit, _exit, the end of main). */
void lc_wrapper_before_exit(void);
/* The same, as an atexit handler (registered first, so it runs last). */
void lc_wrapper_at_exit(void);

/* After fork: the child has no shutdown under way. */
void lc_wrapper_forget_in_child(void);

#endif
