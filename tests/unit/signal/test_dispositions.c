/* Signal bookkeeping: what the program installed is what it reads back;
 * lastcall's kernel handler mirrors its restart semantics; delivery
 * honours SA_SIGINFO and SA_RESETHAND; glibc's signal() family. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "signal/dispositions.h"

static int plain_calls, info_calls, last_code;

static void plain_handler(int sig)
{
	(void)sig;
	plain_calls++;
}

static void info_handler(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)uc;
	info_calls++;
	last_code = info->si_code;
}

static void ours(int sig, siginfo_t *info, void *uc)
{
	(void)sig;
	(void)info;
	(void)uc;
}

static void reads_back_what_was_recorded(void **state)
{
	(void)state;
	struct lc_disposition d;
	memset(&d, 0, sizeof d);
	struct sigaction act, back;
	memset(&act, 0, sizeof act);
	act.sa_sigaction = info_handler;
	act.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&act.sa_mask);
	sigaddset(&act.sa_mask, SIGUSR1);
	lc_disp_record(&d, &act);
	lc_disp_read(&d, &back);
	assert_ptr_equal(back.sa_sigaction, info_handler);
	assert_int_equal(back.sa_flags, SA_SIGINFO | SA_RESTART);
	assert_int_equal(sigismember(&back.sa_mask, SIGUSR1), 1);
	assert_int_equal(lc_disp_kind(&d), LC_DISP_HANDLER);
}

static void kernel_action_mirrors_restart_semantics(void **state)
{
	(void)state;
	struct lc_disposition d;
	memset(&d, 0, sizeof d);
	struct sigaction act, k;
	memset(&act, 0, sizeof act);
	act.sa_handler = plain_handler;
	act.sa_flags = SA_ONSTACK | SA_RESETHAND; /* python: no SA_RESTART, EINTR expected */
	lc_disp_record(&d, &act);
	lc_disp_kernel_action(&d, ours, &k);
	assert_ptr_equal(k.sa_sigaction, ours);
	assert_int_equal(k.sa_flags, SA_SIGINFO | SA_ONSTACK);
	act.sa_handler = SIG_DFL;
	act.sa_flags = 0;
	lc_disp_record(&d, &act);
	lc_disp_kernel_action(&d, ours, &k);
	assert_int_equal(k.sa_flags, SA_SIGINFO | SA_RESTART); /* it never saw EINTR from it */
}

static void delivery_honours_siginfo_and_resethand(void **state)
{
	(void)state;
	struct lc_disposition d;
	memset(&d, 0, sizeof d);
	struct sigaction act;
	memset(&act, 0, sizeof act);
	act.sa_sigaction = info_handler;
	act.sa_flags = SA_SIGINFO | SA_RESETHAND;
	lc_disp_record(&d, &act);
	siginfo_t info;
	memset(&info, 0, sizeof info);
	info.si_code = SI_USER;
	assert_int_equal(lc_disp_deliver(&d, SIGTERM, &info, NULL), LC_DISP_HANDLER);
	assert_int_equal(info_calls, 1);
	assert_int_equal(last_code, SI_USER);
	assert_int_equal(lc_disp_kind(&d), LC_DISP_DEFAULT); /* one-shot */
	assert_int_equal(lc_disp_deliver(&d, SIGTERM, &info, NULL), LC_DISP_DEFAULT);
	assert_int_equal(info_calls, 1);

	act.sa_handler = plain_handler;
	act.sa_flags = 0;
	lc_disp_record(&d, &act);
	lc_disp_deliver(&d, SIGTERM, &info, NULL);
	lc_disp_deliver(&d, SIGTERM, &info, NULL);
	assert_int_equal(plain_calls, 2);
	act.sa_handler = SIG_IGN;
	lc_disp_record(&d, &act);
	assert_int_equal(lc_disp_deliver(&d, SIGTERM, &info, NULL), LC_DISP_IGNORE);
}

static void glibc_signal_family_semantics(void **state)
{
	(void)state;
	struct sigaction act;
	lc_disp_from_bsd_signal(SIGTERM, plain_handler, &act);
	assert_int_equal(act.sa_flags, SA_RESTART);
	assert_int_equal(sigismember(&act.sa_mask, SIGTERM), 1);
	lc_disp_from_sysv_signal(plain_handler, &act);
	assert_true(act.sa_flags == (int)(SA_RESETHAND | SA_NODEFER));
	assert_ptr_equal(lc_disp_handler_of(&act), plain_handler);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_back_what_was_recorded),
		cmocka_unit_test(kernel_action_mirrors_restart_semantics),
		cmocka_unit_test(delivery_honours_siginfo_and_resethand),
		cmocka_unit_test(glibc_signal_family_semantics),
	};
	return cmocka_run_group_tests_name("dispositions", tests, NULL, NULL);
}
