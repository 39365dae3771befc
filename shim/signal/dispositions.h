/* The program's own view of its shutdown-signal handlers.
 *
 * Once lastcall's handler is installed for a shutdown signal, the program's
 * sigaction/signal calls for it are recorded here instead of reaching the
 * kernel, and reported back as if they had (`sigaction(sig, NULL, &old)`
 * shows what the program installed). Lock-free: the signal handler reads
 * records while any thread may be writing them. */
#ifndef LASTCALL_DISPOSITIONS_H
#define LASTCALL_DISPOSITIONS_H

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>

enum lc_disp_kind { LC_DISP_DEFAULT, LC_DISP_IGNORE, LC_DISP_HANDLER };

struct lc_disposition {
	_Atomic uintptr_t handler; /* SIG_DFL, SIG_IGN or a function */
	_Atomic int flags;	   /* the program's sa_flags */
	sigset_t mask;		   /* the program's sa_mask */
};

typedef void (*lc_siginfo_handler)(int, siginfo_t *, void *);

void lc_disp_record(struct lc_disposition *d, const struct sigaction *act);
void lc_disp_read(const struct lc_disposition *d, struct sigaction *out);
enum lc_disp_kind lc_disp_kind(const struct lc_disposition *d);
enum lc_disp_kind lc_disp_kind_of(const struct sigaction *act);

/* The sigaction lastcall installs in the kernel while it manages the
 * signal: SIG_IGN where the program ignores it; otherwise its own handler, with the program's mask and the program's
 * SA_RESTART/SA_ONSTACK/SA_NODEFER so that system calls are interrupted or
 * restarted exactly as the program expects. Never SA_RESETHAND (emulated). */
void lc_disp_kernel_action(const struct lc_disposition *d, lc_siginfo_handler ours,
			   struct sigaction *out);

/* Runs the program's handler as the kernel would have: honours
 * SA_SIGINFO, and SA_RESETHAND (the record becomes SIG_DFL first).
 * Returns the kind that applied; for DEFAULT and IGNORE nothing is run. */
enum lc_disp_kind lc_disp_deliver(struct lc_disposition *d, int sig, siginfo_t *info,
				  void *ucontext);

/* glibc's signal() family expressed as the sigaction each one performs. */
void lc_disp_from_bsd_signal(int sig, sighandler_t handler, struct sigaction *act);
void lc_disp_from_sysv_signal(sighandler_t handler, struct sigaction *act);
sighandler_t lc_disp_handler_of(const struct sigaction *act);

#endif
