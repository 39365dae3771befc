/* Whether a process below this one still holds a socket (the stop of a
 * listener shut down only when one does): a child or a grandchild that
 * kept it holds it; a child that closed it, or exec'd with it
 * close-on-exec (a CGI script), does not; an unrelated process never
 * counts. Real processes, real sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kernel/proctree.h"
#include "process_test.h"

static struct lc_proctree tree;

enum keep { KEEPS, CLOSES, EXECS, GRANDCHILD_KEEPS };

/* A child that does `what` with socket `fd`, then waits to be killed;
 * returns once it has done it. */
static pid_t child(int fd, enum keep what)
{
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t pid = fork();
	if (pid == 0) {
		close(ready[0]);
		if (what == GRANDCHILD_KEEPS && fork() == 0) {
			ssize_t w = write(ready[1], "g", 1);
			(void)w;
			pause();
			_exit(0);
		}
		if (what != KEEPS)
			close(fd);
		if (what == EXECS) {
			/* the pipe's end goes with the exec: EOF tells the test */
			execl("/bin/sleep", "sleep", "30", (char *)NULL);
			_exit(127);
		}
		if (what != GRANDCHILD_KEEPS) {
			ssize_t w = write(ready[1], "c", 1);
			(void)w;
		}
		close(ready[1]);
		pause();
		_exit(0);
	}
	close(ready[1]);
	char got;
	ssize_t n = read(ready[0], &got, 1);
	(void)n; /* a byte, or EOF after the exec */
	close(ready[0]);
	return pid;
}

static uint64_t listening_socket(int *fd, int flags)
{
	*fd = socket(AF_INET, SOCK_STREAM | flags, 0);
	assert_true(*fd >= 0);
	assert_int_equal(listen(*fd, 4), 0);
	struct stat st;
	assert_int_equal(fstat(*fd, &st), 0);
	return (uint64_t)st.st_ino;
}

static void a_child_that_kept_it_holds_it(void **state)
{
	(void)state;
	int fd;
	uint64_t ino = listening_socket(&fd, 0);
	assert_false(lc_descendants_hold_socket(ino, &tree)); /* no child yet */
	pid_t pid = child(fd, KEEPS);
	assert_true(lc_descendants_hold_socket(ino, &tree));
	end_child(pid);
	assert_false(lc_descendants_hold_socket(ino, &tree));
	close(fd);
}

static void a_grandchild_counts_too(void **state)
{
	(void)state;
	int fd;
	uint64_t ino = listening_socket(&fd, 0);
	pid_t pid = child(fd, GRANDCHILD_KEEPS);
	assert_true(lc_descendants_hold_socket(ino, &tree));
	end_child(pid);
	close(fd);
}

static void a_child_that_closed_it_or_execd_does_not(void **state)
{
	(void)state;
	int fd;
	uint64_t ino = listening_socket(&fd, SOCK_CLOEXEC);
	pid_t closed = child(fd, CLOSES);
	pid_t execd = child(fd, EXECS);
	assert_false(lc_descendants_hold_socket(ino, &tree));
	end_child(closed);
	end_child(execd);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_child_that_kept_it_holds_it),
		cmocka_unit_test(a_grandchild_counts_too),
		cmocka_unit_test(a_child_that_closed_it_or_execd_does_not),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
