/* lastcall_shutdown_fd(): readable from the first shutdown signal on,
 * for every waiter; a forked child's descriptor (same number) is its own,
 * woken by neither its parent's signal nor woken its parent with its own;
 * a descriptor the program closed is replaced, never written to.
 *
 * Each case runs in a process of its own (the descriptor's state is the
 * process's), forked the way a prefork server forks its workers: the
 * library's atfork handler runs there as in production. */
#include <poll.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "signal/shutdown_fd.h"
#define LASTCALL_BUILDING_LIBRARY
#include "lastcall.h"

static bool readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* Runs `scenario` in a child; its exit status is the number of the
 * first check that failed (0: all held). */
static int in_own_process(int (*scenario)(void))
{
	pid_t pid = fork();
	if (pid == 0)
		_exit(scenario());
	int status = -1;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

static void say(int fd)
{
	char c = 1;
	if (write(fd, &c, 1) != 1)
		_exit(90);
}

static void hear(int fd)
{
	char c;
	if (read(fd, &c, 1) != 1)
		_exit(91);
}

static int readable_from_the_signal_on(void)
{
	int fd = lastcall_shutdown_fd();
	if (fd < 0)
		return 1;
	if (readable(fd))
		return 2;
	if (lastcall_shutdown_fd() != fd)
		return 3;
	lc_shutdown_fd_fire();
	if (!readable(fd) || !readable(fd))
		return 4; /* nobody reads it: every waiter sees it */
	lc_shutdown_fd_fire();
	char buf[8];
	if (read(fd, buf, sizeof buf) != 1)
		return 5; /* fired once, one byte */
	return 0;
}

static void test_readable_from_the_signal_on(void **state)
{
	(void)state;
	assert_int_equal(in_own_process(readable_from_the_signal_on), 0);
}

/* parent fires; the child, same number, stays quiet, then fires its own */
static int parent_signal_leaves_child_quiet(void)
{
	int fd = lastcall_shutdown_fd();
	int to_child[2];
	if (fd < 0 || pipe(to_child) < 0)
		return 1;
	pid_t child = fork();
	if (child == 0) {
		hear(to_child[0]);
		if (lastcall_shutdown_fd() != fd)
			_exit(11);
		if (readable(fd))
			_exit(12);
		lc_shutdown_fd_fire();
		if (!readable(fd))
			_exit(13);
		_exit(0);
	}
	lc_shutdown_fd_fire();
	if (!readable(fd))
		return 2;
	say(to_child[1]);
	int status = -1;
	waitpid(child, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 3;
}

static void test_parent_signal_leaves_child_quiet(void **state)
{
	(void)state;
	assert_int_equal(in_own_process(parent_signal_leaves_child_quiet), 0);
}

static int child_signal_leaves_parent_quiet(void)
{
	int fd = lastcall_shutdown_fd();
	int to_parent[2];
	if (fd < 0 || pipe(to_parent) < 0)
		return 1;
	pid_t child = fork();
	if (child == 0) {
		lc_shutdown_fd_fire();
		if (!readable(fd))
			_exit(11);
		say(to_parent[1]);
		_exit(0);
	}
	hear(to_parent[0]);
	int status = -1;
	waitpid(child, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
	if (readable(fd))
		return 3;
	lc_shutdown_fd_fire();
	return readable(fd) ? 0 : 4;
}

static void test_child_signal_leaves_parent_quiet(void **state)
{
	(void)state;
	assert_int_equal(in_own_process(child_signal_leaves_parent_quiet), 0);
}

/* The program closes the descriptor (close_range, a careless loop) and
 * the number goes to one of its own pipes: lastcall never writes there. */
static int closed_descriptor_replaced(void)
{
	int fd = lastcall_shutdown_fd();
	if (fd < 0)
		return 1;
	close(fd);
	int theirs[2];
	if (pipe(theirs) < 0)
		return 2;
	if (theirs[0] != fd)
		return 3; /* the lowest number: the one just closed */
	int again = lastcall_shutdown_fd();
	if (again < 0 || again == fd)
		return 4;
	lc_shutdown_fd_fire();
	if (readable(theirs[0]))
		return 5;
	return readable(again) ? 0 : 6;
}

static void test_closed_descriptor_replaced(void **state)
{
	(void)state;
	assert_int_equal(in_own_process(closed_descriptor_replaced), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readable_from_the_signal_on),
		cmocka_unit_test(test_parent_signal_leaves_child_quiet),
		cmocka_unit_test(test_child_signal_leaves_parent_quiet),
		cmocka_unit_test(test_closed_descriptor_replaced),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
