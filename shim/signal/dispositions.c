/* Recorded signal dispositions (see dispositions.h). */
#include "signal/dispositions.h"

#include <string.h>

void lc_disp_record(struct lc_disposition *d, const struct sigaction *act)
{
	uintptr_t handler = (act->sa_flags & SA_SIGINFO) ? (uintptr_t)act->sa_sigaction
							   : (uintptr_t)act->sa_handler;
	memcpy(&d->mask, &act->sa_mask, sizeof d->mask);
	atomic_store(&d->flags, act->sa_flags);
	atomic_store(&d->handler, handler);
}

void lc_disp_read(const struct lc_disposition *d, struct sigaction *out)
{
	memset(out, 0, sizeof *out);
	uintptr_t handler = atomic_load(&d->handler);
	out->sa_flags = atomic_load(&d->flags);
	memcpy(&out->sa_mask, &d->mask, sizeof out->sa_mask);
	if ((out->sa_flags & SA_SIGINFO) && handler != (uintptr_t)SIG_DFL &&
	    handler != (uintptr_t)SIG_IGN)
		out->sa_sigaction = (lc_siginfo_handler)handler;
	else
		out->sa_handler = (sighandler_t)handler;
}

enum lc_disp_kind lc_disp_kind(const struct lc_disposition *d)
{
	uintptr_t handler = atomic_load(&d->handler);
	if (handler == (uintptr_t)SIG_DFL)
		return LC_DISP_DEFAULT;
	if (handler == (uintptr_t)SIG_IGN)
		return LC_DISP_IGNORE;
	return LC_DISP_HANDLER;
}

enum lc_disp_kind lc_disp_kind_of(const struct sigaction *act)
{
	/* SIG_DFL and SIG_IGN are never installed as SA_SIGINFO handlers */
	if (act->sa_flags & SA_SIGINFO)
		return LC_DISP_HANDLER;
	if (act->sa_handler == SIG_DFL)
		return LC_DISP_DEFAULT;
	return act->sa_handler == SIG_IGN ? LC_DISP_IGNORE : LC_DISP_HANDLER;
}

void lc_disp_kernel_action(const struct lc_disposition *d, lc_siginfo_handler ours,
			   struct sigaction *out)
{
	int flags = atomic_load(&d->flags);
	memset(out, 0, sizeof *out);
	if (lc_disp_kind(d) == LC_DISP_IGNORE) {
		/* Ignored in the kernel itself: an ignored signal stays ignored
		 * across exec (a shell's `trap '' TERM`, its background jobs'
		 * SIGINT), and a handler would not be. */
		out->sa_handler = SIG_IGN;
		return;
	}
	out->sa_sigaction = ours;
	memcpy(&out->sa_mask, &d->mask, sizeof out->sa_mask);
	out->sa_flags = SA_SIGINFO | (flags & (SA_RESTART | SA_ONSTACK | SA_NODEFER));
	/* A program with no handler never saw EINTR from this signal (it died
	 * of it): restart what can be restarted. */
	if (lc_disp_kind(d) != LC_DISP_HANDLER)
		out->sa_flags |= SA_RESTART;
}

enum lc_disp_kind lc_disp_deliver(struct lc_disposition *d, int sig, siginfo_t *info,
				  void *ucontext)
{
	uintptr_t handler = atomic_load(&d->handler);
	int flags = atomic_load(&d->flags);
	if (handler == (uintptr_t)SIG_DFL)
		return LC_DISP_DEFAULT;
	if (handler == (uintptr_t)SIG_IGN)
		return LC_DISP_IGNORE;
	if (flags & SA_RESETHAND) {
		atomic_store(&d->flags, flags & ~(SA_RESETHAND | SA_SIGINFO));
		atomic_store(&d->handler, (uintptr_t)SIG_DFL);
	}
	if (flags & SA_SIGINFO)
		((lc_siginfo_handler)handler)(sig, info, ucontext);
	else
		((sighandler_t)handler)(sig);
	return LC_DISP_HANDLER;
}

/* glibc: signal() and bsd_signal() block the signal in its handler and
 * restart system calls (BSD semantics). */
void lc_disp_from_bsd_signal(int sig, sighandler_t handler, struct sigaction *act)
{
	memset(act, 0, sizeof *act);
	act->sa_handler = handler;
	sigemptyset(&act->sa_mask);
	sigaddset(&act->sa_mask, sig);
	act->sa_flags = SA_RESTART;
}

/* glibc: sysv_signal() is one-shot and does not block the signal. */
void lc_disp_from_sysv_signal(sighandler_t handler, struct sigaction *act)
{
	memset(act, 0, sizeof *act);
	act->sa_handler = handler;
	sigemptyset(&act->sa_mask);
	act->sa_flags = SA_RESETHAND | SA_NODEFER;
}

sighandler_t lc_disp_handler_of(const struct sigaction *act)
{
	return act->sa_handler;
}
