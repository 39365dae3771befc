/* What lastcall's accept records as a new connection's identity, and that
 * the program sees accept's results as it would without lastcall: the
 * peer's address in its own buffer, its length, errors. The exported
 * accept4 is not linked into unit tests: they call what it calls. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>

#include <cmocka.h> /* after the headers it needs */

#include "hook/fdhooks.h"
#include "track/fdtable.h"

static int listener = -1;

static int lastcalls_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	return lc_accept(fd, addr, len, flags, 1);
}
static struct sockaddr_in listening;

static int setup(void **state)
{
	(void)state;
	listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	listening = (struct sockaddr_in){.sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof listening;
	if (bind(listener, (struct sockaddr *)&listening, sizeof listening) != 0 ||
	    listen(listener, 8) != 0 ||
	    getsockname(listener, (struct sockaddr *)&listening, &len) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(listener);
	return 0;
}

/* A client connected to the listener; its own address is what the
 * server's accept reports as the peer. */
static int client(struct sockaddr_in *self)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&listening, sizeof listening), 0);
	socklen_t len = sizeof *self;
	assert_int_equal(getsockname(fd, (struct sockaddr *)self, &len), 0);
	return fd;
}

static struct lc_fd_snapshot entry(int fd)
{
	struct lc_fd_snapshot s;
	assert_true(lc_fdtable_get(&lc_table, fd, &s));
	assert_int_equal(s.kind, LC_FD_CONNECTION);
	return s;
}

static void no_buffer_from_the_program_still_gives_the_peer_as_identity(void **state)
{
	(void)state;
	struct sockaddr_in self;
	int c = client(&self);
	int fd = lastcalls_accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	struct lc_fd_snapshot s = entry(fd);
	uint32_t id;
	assert_true(lc_fd_peer_id(&self, sizeof self, &id));
	assert_true(s.since & LC_FD_PEER_ID);
	assert_int_equal(s.ino, id);
	close(fd);
	close(c);
}

static void the_programs_buffer_gets_the_peer_and_gives_the_identity(void **state)
{
	(void)state;
	struct sockaddr_in self;
	int c = client(&self);
	struct sockaddr_storage peer;
	memset(&peer, 0xab, sizeof peer);
	socklen_t len = sizeof peer;
	int fd = lastcalls_accept4(listener, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(len, sizeof self);
	assert_memory_equal(&peer, &self, sizeof self);
	/* the bytes past the address are the program's, untouched */
	assert_int_equal(((unsigned char *)&peer)[sizeof self], 0xab);
	uint32_t id;
	assert_true(lc_fd_peer_id(&self, sizeof self, &id));
	struct lc_fd_snapshot s = entry(fd);
	assert_true(s.since & LC_FD_PEER_ID);
	assert_int_equal(s.ino, id);
	close(fd);
	close(c);
}

/* A buffer too small for the address: the kernel cuts it short and says
 * how long it was; lastcall cannot hash a part, and takes the inode. */
static void a_buffer_too_small_falls_back_to_the_inode(void **state)
{
	(void)state;
	struct sockaddr_in self;
	int c = client(&self);
	unsigned char small[6];
	memset(small, 0xcd, sizeof small);
	socklen_t len = 4;
	int fd = lastcalls_accept4(listener, (struct sockaddr *)small, &len, SOCK_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(len, sizeof self);	    /* the true length, as without lastcall */
	assert_memory_equal(small, &self, 4);	    /* the first 4 bytes */
	assert_int_equal(small[4], 0xcd);	    /* nothing past the room */
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	struct lc_fd_snapshot s = entry(fd);
	assert_false(s.since & LC_FD_PEER_ID);
	assert_int_equal(s.ino, (uint32_t)st.st_ino);
	close(fd);
	close(c);
}

static void errors_are_the_kernels(void **state)
{
	(void)state;
	/* nothing waiting on a nonblocking listener */
	int quiet = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in any = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(quiet, (struct sockaddr *)&any, sizeof any), 0);
	assert_int_equal(listen(quiet, 1), 0);
	errno = 0;
	assert_int_equal(lastcalls_accept4(quiet, NULL, NULL, 0), -1);
	assert_int_equal(errno, EAGAIN);
	struct sockaddr_in peer;
	socklen_t len = sizeof peer;
	errno = 0;
	assert_int_equal(lastcalls_accept4(quiet, (struct sockaddr *)&peer, &len, 0), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(len, sizeof peer); /* untouched */
	errno = 0;
	assert_int_equal(lastcalls_accept4(-1, NULL, NULL, 0), -1);
	assert_int_equal(errno, EBADF);
	close(quiet);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(no_buffer_from_the_program_still_gives_the_peer_as_identity),
		cmocka_unit_test(the_programs_buffer_gets_the_peer_and_gives_the_identity),
		cmocka_unit_test(a_buffer_too_small_falls_back_to_the_inode),
		cmocka_unit_test(errors_are_the_kernels),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
