/* errno without a call into libc.
 *
 * `errno` is (*__errno_location()): from lastcall's code a call through
 * its PLT into libc. Right after a system call that is three pages
 * touched, the PLT's, the GOT's and libc's, and on the project's VM each
 * is a TLB miss (doc/performance.md). The wrappers save and restore errno
 * around their own work, and lastcall's own system calls set it.
 *
 * glibc's errno is a thread-local variable of libc's own, in its static
 * TLS block (initial-exec): in every thread it lies at the same distance
 * from the thread pointer. lc_errno_measure (the constructor, before
 * lastcall binds anything) measures that distance once, and the code
 * that includes this header reads and writes errno there: the same int
 * libc's functions and the program use. Before the measurement (unit
 * tests, a call made while the constructor runs) and on architectures
 * without a thread pointer here, through __errno_location() as usual. */
#ifndef LASTCALL_ERRNO_TLS_H
#define LASTCALL_ERRNO_TLS_H

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

/* errno's distance from the thread pointer; 0 until measured. */
extern _Atomic intptr_t lc_errno_offset;

static inline char *lc_thread_pointer(void)
{
#if defined(__x86_64__)
	char *tp; /* the TCB's first word points at itself (glibc, x86_64) */
	__asm__("mov %%fs:0, %0" : "=r"(tp));
	return tp;
#elif defined(__aarch64__)
	return __builtin_thread_pointer();
#else
	return 0;
#endif
}

static inline int *lc_errno_location(void)
{
	intptr_t offset = atomic_load_explicit(&lc_errno_offset, memory_order_relaxed);
	if (__builtin_expect(offset != 0, 1))
		return (int *)(lc_thread_pointer() + offset);
	return __errno_location();
}

#undef errno
#define errno (*lc_errno_location())

void lc_errno_measure(void);

#endif
