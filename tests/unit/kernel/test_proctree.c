/* The process tree a wrapper reads in its signal handler: its children
 * from /proc, and which of them serve under lastcall — from the drain
 * thread's name ("lastcall-ready", then "lastcall-drain"), or from a
 * shutdown signal still pending (sent, not yet taken by a handler).
 *
 * Real processes: each child names its main thread as lastcall's drain
 * thread would be named, then tells the test through a pipe. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "kernel/proctree.h"
#include "process_test.h"

static struct lc_proctree tree;

/* A child named `name` (NULL: left as is) with SIGTERM blocked, a
 * grandchild of its own if `grandchild_name` is set; returns once both
 * are named. */
static pid_t child(const char *name, const char *grandchild_name)
{
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t term;
		sigemptyset(&term);
		sigaddset(&term, SIGTERM);
		sigprocmask(SIG_BLOCK, &term, NULL);
		if (grandchild_name && fork() == 0) {
			prctl(PR_SET_NAME, grandchild_name);
			ssize_t w = write(ready[1], "g", 1);
			(void)w;
			pause();
			_exit(0);
		}
		if (name)
			prctl(PR_SET_NAME, name);
		ssize_t w = write(ready[1], "c", 1);
		(void)w;
		pause();
		_exit(0);
	}
	char got[2];
	for (int need = grandchild_name ? 2 : 1, have = 0; have < need;) {
		ssize_t n = read(ready[0], got, (size_t)(need - have));
		assert_true(n > 0);
		have += (int)n;
	}
	close(ready[0]);
	close(ready[1]);
	return pid;
}

static sigset_t shutdown_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	return set;
}

static void children_are_found_from_proc(void **state)
{
	(void)state;
	assert_true(lc_proc_is_ours());
	pid_t a = child(NULL, NULL), b = child(NULL, NULL);
	assert_true(lc_proctree_read(&tree) > 2);
	pid_t kids[8];
	int n = lc_proctree_children(&tree, getpid(), kids, 8);
	int found = 0;
	for (int i = 0; i < n; i++)
		found += kids[i] == a || kids[i] == b;
	assert_int_equal(found, 2);
	end_child(a);
	end_child(b);
}

static void a_plain_process_is_no_server(void **state)
{
	(void)state;
	sigset_t set = shutdown_signals();
	pid_t plain = child(NULL, NULL);
	assert_int_equal(lc_server_state(plain, &set), LC_SERVER_NONE);
	/* a pending signal makes no server of a process that is none */
	kill(plain, SIGTERM);
	assert_int_equal(lc_server_state(plain, &set), LC_SERVER_NONE);
	end_child(plain);
}

static void the_drain_thread_name_tells_ready_from_draining(void **state)
{
	(void)state;
	sigset_t set = shutdown_signals();
	pid_t ready = child(LC_DRAIN_THREAD_READY, NULL);
	pid_t draining = child(LC_DRAIN_THREAD_DRAINING, NULL);
	assert_int_equal(lc_server_state(ready, &set), LC_SERVER_READY);
	assert_int_equal(lc_server_state(draining, &set), LC_SERVER_DRAINING);
	end_child(ready);
	end_child(draining);
}

static void a_server_whose_listeners_are_closed_is_draining(void **state)
{
	(void)state;
	sigset_t set = shutdown_signals();
	pid_t closed = child(LC_DRAIN_THREAD_CLOSED, NULL);
	pid_t draining = child(LC_DRAIN_THREAD_DRAINING, NULL);
	assert_int_equal(lc_server_state(closed, &set), LC_SERVER_DRAINING);
	assert_true(lc_server_listeners_closed(closed));
	assert_false(lc_server_listeners_closed(draining));
	end_child(closed);
	end_child(draining);
}

static void a_pending_shutdown_signal_means_draining(void **state)
{
	(void)state;
	sigset_t set = shutdown_signals();
	pid_t server = child(LC_DRAIN_THREAD_READY, NULL);
	assert_int_equal(lc_server_state(server, &set), LC_SERVER_READY);
	kill(server, SIGTERM); /* blocked there: it stays pending */
	assert_int_equal(lc_server_state(server, &set), LC_SERVER_DRAINING);
	end_child(server);
}

static void a_server_below_a_wrapper_counts_for_the_wrapper(void **state)
{
	(void)state;
	sigset_t set = shutdown_signals();
	pid_t wrapper = child(NULL, LC_DRAIN_THREAD_READY);
	assert_true(lc_proctree_read(&tree) > 0);
	assert_int_equal(lc_server_state(wrapper, &set), LC_SERVER_NONE);
	assert_int_equal(lc_subtree_server_state(&tree, wrapper, &set), LC_SERVER_READY);
	end_child(wrapper);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(children_are_found_from_proc),
		cmocka_unit_test(a_plain_process_is_no_server),
		cmocka_unit_test(the_drain_thread_name_tells_ready_from_draining),
		cmocka_unit_test(a_server_whose_listeners_are_closed_is_draining),
		cmocka_unit_test(a_pending_shutdown_signal_means_draining),
		cmocka_unit_test(a_server_below_a_wrapper_counts_for_the_wrapper),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
