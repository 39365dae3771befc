/* lastcall's own system calls (base/real.c): until the program creates a
 * thread or cancels one, the cancellable calls skip glibc's threaded path
 * and behave exactly as glibc's functions do, errno included; from the
 * program's first thread on, the slots hold glibc's functions again. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>
/* cmocka needs the headers above first */
#include <cmocka.h>

#include "base/real.h"
#include "base/thread.h"

static void *glibc(const char *name)
{
	void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	assert_non_null(libc);
	void *fn = dlsym(libc, name);
	dlclose(libc);
	assert_non_null(fn);
	return fn;
}

/* What the slot is bound to: the next definition, glibc's own or, in a
 * sanitizer build, the sanitizer's interceptor (real.o is linked into
 * this program, so RTLD_NEXT looks from here as from the library). */
static void *next(const char *name)
{
	void *fn = dlsym(RTLD_NEXT, name);
	assert_non_null(fn);
	return fn;
}

/* The slot holds lastcall's own call where the next definition is
 * glibc's (x86_64), and the next definition otherwise: an interposer
 * after lastcall is always called. */
static void holds_own_call_where_glibc_is_next(_Atomic(void *) *slot, const char *name)
{
#if defined(__x86_64__)
	if (next(name) == glibc(name)) {
		assert_ptr_not_equal(atomic_load(slot), next(name));
		return;
	}
#endif
	assert_ptr_equal(atomic_load(slot), next(name));
}

/* Every call of the set, through the slots, against the kernel. */
static void calls_behave_as_glibcs(void)
{
	int p[2], s[2];
	char buf[8] = {0};
	assert_int_equal(pipe(p), 0);
	assert_int_equal(lc_real_write(p[1], "ab", 2), 2);
	assert_int_equal(lc_real_read(p[0], buf, 1), 1);
	assert_int_equal(lc_real___read_chk(p[0], buf, 1, sizeof buf), 1);
	assert_memory_equal(buf, "b", 1);
	struct iovec out[2] = {{"cd", 2}, {"e", 1}}, in = {buf, 3};
	assert_int_equal(lc_real_writev(p[1], out, 2), 3);
	assert_int_equal(lc_real_readv(p[0], &in, 1), 3);
	assert_memory_equal(buf, "cde", 3);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
	assert_int_equal(lc_real_send(s[0], "f", 1, 0), 1);
	assert_int_equal(lc_real_recv(s[1], buf, sizeof buf, 0), 1);
	assert_int_equal(lc_real_sendto(s[0], "g", 1, 0, NULL, 0), 1);
	assert_int_equal(lc_real_recvfrom(s[1], buf, sizeof buf, 0, NULL, NULL), 1);
	assert_int_equal(lc_real_sendto(s[0], "h", 1, 0, NULL, 0), 1);
	assert_int_equal(lc_real___recv_chk(s[1], buf, 1, sizeof buf, 0), 1);
	assert_int_equal(lc_real_send(s[0], "i", 1, 0), 1);
	assert_int_equal(lc_real___recvfrom_chk(s[1], buf, 1, sizeof buf, 0, NULL, NULL), 1);
	struct iovec one = {"j", 1};
	struct msghdr msg = {.msg_iov = &one, .msg_iovlen = 1};
	assert_int_equal(lc_real_sendmsg(s[0], &msg, 0), 1);
	one = (struct iovec){buf, sizeof buf};
	assert_int_equal(lc_real_recvmsg(s[1], &msg, 0), 1);
	assert_memory_equal(buf, "j", 1);
	/* errno, as glibc sets it */
	errno = 0;
	assert_int_equal(lc_real_recv(s[1], buf, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	errno = 0;
	assert_int_equal(lc_real_read(-1, buf, 1), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(lc_real_close(-1), -1);
	assert_int_equal(errno, EBADF);
	int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_un addr = {.sun_family = AF_UNIX, .sun_path = "\0lc-own-calls"};
	socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen("lc-own-calls");
	assert_int_equal(bind(listener, (struct sockaddr *)&addr, len), 0);
	assert_int_equal(listen(listener, 4), 0);
	errno = 0;
	assert_int_equal(lc_real_accept(listener, NULL, NULL), -1);
	assert_int_equal(errno, EAGAIN);
	errno = 0;
	assert_int_equal(lc_real_accept4(listener, NULL, NULL, SOCK_CLOEXEC), -1);
	assert_int_equal(errno, EAGAIN);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = s[1]}, got;
	assert_int_equal(epoll_ctl(ep, EPOLL_CTL_ADD, s[1], &ev), 0);
	assert_int_equal(lc_real_epoll_wait(ep, &got, 1, 0), 0);
	assert_int_equal(lc_real_send(s[0], "k", 1, 0), 1);
	sigset_t none;
	sigemptyset(&none);
	assert_int_equal(lc_real_epoll_pwait(ep, &got, 1, 1000, &none), 1);
	assert_int_equal(got.data.fd, s[1]);
	int fds[] = {p[0], p[1], s[0], s[1], listener, ep};
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		assert_int_equal(lc_real_close(fds[i]), 0);
}

static void *returns(void *unused)
{
	return unused;
}

static void own_calls_until_the_program_has_threads(void **state)
{
	(void)state;
	lc_real_bind_hot();
	holds_own_call_where_glibc_is_next(&lc_real_read_slot, "read");
	holds_own_call_where_glibc_is_next(&lc_real_write_slot, "write");
	holds_own_call_where_glibc_is_next(&lc_real_close_slot, "close");
	holds_own_call_where_glibc_is_next(&lc_real_accept4_slot, "accept4");
	holds_own_call_where_glibc_is_next(&lc_real_epoll_wait_slot, "epoll_wait");
	holds_own_call_where_glibc_is_next(&lc_real_recvmsg_slot, "recvmsg");
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
	/* a plain build: glibc is next for all of them */
	assert_true(lc_real_own_calls());
#endif
	/* not cancellable in glibc: always the next definition */
	assert_ptr_equal(atomic_load(&lc_real_sendfile_slot), next("sendfile"));
	calls_behave_as_glibcs();
	/* lastcall's own threads are not the program's */
	assert_int_equal(lc_thread_start("test", returns, NULL, NULL, 0), 0);
	holds_own_call_where_glibc_is_next(&lc_real_read_slot, "read");
}

static void the_programs_first_thread_gives_them_back_to_glibc(void **state)
{
	(void)state;
	lc_real_program_threads();
	assert_false(lc_real_own_calls());
	assert_ptr_equal(atomic_load(&lc_real_read_slot), next("read"));
	assert_ptr_equal(atomic_load(&lc_real_write_slot), next("write"));
	assert_ptr_equal(atomic_load(&lc_real_close_slot), next("close"));
	assert_ptr_equal(atomic_load(&lc_real_accept4_slot), next("accept4"));
	assert_ptr_equal(atomic_load(&lc_real_epoll_wait_slot), next("epoll_wait"));
	assert_ptr_equal(atomic_load(&lc_real_recvmsg_slot), next("recvmsg"));
	assert_ptr_equal(atomic_load(&lc_real___read_chk_slot), next("__read_chk"));
	calls_behave_as_glibcs();
	/* for good: binding again does not take them back */
	lc_real_bind_hot();
	assert_false(lc_real_own_calls());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(own_calls_until_the_program_has_threads),
	    cmocka_unit_test(the_programs_first_thread_gives_them_back_to_glibc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
