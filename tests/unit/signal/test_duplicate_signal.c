/* One shutdown told twice is not a second signal: a group's signal (a
 * terminal's ^C, systemd's KillMode=control-group) reaches the server and
 * its wrapper at once, and the wrapper's forward reaches the server again
 * a moment later. A repeat from the same sender, from the process itself,
 * of another signal, or after the window is a real second signal. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "signal/wrapper.h"

#define MS (1000 * 1000LL)
#define FIRST_AT (1000 * MS)

static siginfo_t sent_by(pid_t pid)
{
	siginfo_t info;
	memset(&info, 0, sizeof info);
	info.si_code = SI_USER;
	info.si_pid = pid;
	return info;
}

static bool repeat(int first_sig, siginfo_t first, int sig, siginfo_t again, int64_t after_ns)
{
	return lc_signal_is_duplicate(first_sig, first.si_pid, first.si_code, FIRST_AT, sig, &again,
				      FIRST_AT + after_ns);
}

static void a_forward_after_the_group_signal_is_the_same_shutdown(void **state)
{
	(void)state;
	assert_true(repeat(SIGTERM, sent_by(1), SIGTERM, sent_by(4242), 2 * MS));
	/* ^C: the terminal's SIGINT comes from the kernel, the forward from sh */
	siginfo_t terminal;
	memset(&terminal, 0, sizeof terminal);
	terminal.si_code = SI_KERNEL;
	assert_true(repeat(SIGINT, terminal, SIGINT, sent_by(4242), 1 * MS));
}

static void the_same_sender_twice_is_a_second_signal(void **state)
{
	(void)state;
	assert_false(repeat(SIGTERM, sent_by(4242), SIGTERM, sent_by(4242), 2 * MS));
}

static void the_process_ending_itself_is_never_a_duplicate(void **state)
{
	(void)state;
	/* npm re-raises SIGTERM on itself once its script's shell has died */
	assert_false(repeat(SIGTERM, sent_by(1), SIGTERM, sent_by(getpid()), 2 * MS));
	/* node's own SIGTERM handler resets itself and calls raise(): a
	 * tgkill, SI_TKILL; sigqueue() to itself likewise */
	siginfo_t raised = sent_by(getpid());
	raised.si_code = SI_TKILL;
	assert_false(repeat(SIGTERM, sent_by(1), SIGTERM, raised, 2 * MS));
	raised.si_code = SI_QUEUE;
	assert_false(repeat(SIGTERM, sent_by(1), SIGTERM, raised, 2 * MS));
}

static void another_signal_or_a_late_one_is_a_second_signal(void **state)
{
	(void)state;
	assert_false(repeat(SIGTERM, sent_by(1), SIGINT, sent_by(4242), 2 * MS));
	assert_false(repeat(SIGTERM, sent_by(1), SIGTERM, sent_by(4242),
			    LC_DUPLICATE_WINDOW_NS + 1));
	assert_true(repeat(SIGTERM, sent_by(1), SIGTERM, sent_by(4242), LC_DUPLICATE_WINDOW_NS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_forward_after_the_group_signal_is_the_same_shutdown),
		cmocka_unit_test(the_same_sender_twice_is_a_second_signal),
		cmocka_unit_test(the_process_ending_itself_is_never_a_duplicate),
		cmocka_unit_test(another_signal_or_a_late_one_is_a_second_signal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
