/* What touching memory and returning through call frames cost right after
 * a system call, against the same without one: the machine's part of a
 * wrapper's cost through the kernel (doc/performance.md).
 *
 *   after_syscall ITERATIONS
 *
 * Prints, as `pages K: N ns` and `frames K: N ns`, the CPU time of one
 * round (a getppid, or none) plus K loads each on a page of its own, and
 * plus a return through K nested calls; `run.py` turns them into ns per
 * page and per frame. Thread CPU time over many rounds, not rdtsc around
 * the touches: the loads of one round complete out of order around any
 * clock read inside it. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096
#define MAX_PAGES 32
#define MAX_FRAMES 8

static int with_syscall;

static long long cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* A system call that does nothing of note, or nothing. */
static inline long enter_kernel(void)
{
	long r = 0;
	if (with_syscall) {
#if defined(__x86_64__)
		__asm__ volatile("syscall" : "=a"(r) : "a"(SYS_getppid) : "rcx", "r11", "memory");
#else
		r = syscall(SYS_getppid);
#endif
	} else {
		__asm__ volatile("" : "+r"(r) : : "memory");
	}
	return r;
}

/* Nested calls, the kernel entered at the bottom: each level is one more
 * return after the system call. */
__attribute__((noinline)) static long frame0(void)
{
	return enter_kernel();
}
#define FRAME(n, below)                                                                    \
	__attribute__((noinline)) static long frame##n(void)                               \
	{                                                                                  \
		long r = below();                                                          \
		__asm__ volatile("" : "+r"(r) : : "memory");                              \
		return r + 1;                                                              \
	}
FRAME(1, frame0)
FRAME(2, frame1)
FRAME(3, frame2)
FRAME(4, frame3)
FRAME(5, frame4)
FRAME(6, frame5)
FRAME(7, frame6)
FRAME(8, frame7)
static long (*const frames[MAX_FRAMES + 1])(void) = {frame0, frame1, frame2, frame3, frame4,
						      frame5, frame6, frame7, frame8};

static double pages_round(const volatile char *mem, int k, int iterations)
{
	long sink = 0;
	long long t0 = cpu_ns();
	for (int i = 0; i < iterations; i++) {
		sink += enter_kernel();
		/* pages 37 apart, a different line each round */
		for (int p = 0; p < k; p++)
			sink += mem[(long)p * 37 * PAGE + 64 * (i & 7)];
	}
	__asm__ volatile("" : : "r"(sink));
	return (double)(cpu_ns() - t0) / iterations;
}

static double frames_round(int k, int iterations)
{
	long sink = 0;
	long long t0 = cpu_ns();
	for (int i = 0; i < iterations; i++)
		sink += frames[k]();
	__asm__ volatile("" : : "r"(sink));
	return (double)(cpu_ns() - t0) / iterations;
}

int main(int argc, char **argv)
{
	int iterations = argc > 1 ? atoi(argv[1]) : 0;
	if (iterations <= 0) {
		fprintf(stderr, "usage: after_syscall ITERATIONS\n");
		return 2;
	}
	size_t size = (size_t)MAX_PAGES * 37 * PAGE;
	char *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (size_t i = 0; i < size; i += PAGE)
		mem[i] = 1; /* every page present: a TLB miss, never a page fault */
	static const int page_counts[] = {0, 8, 16, 32};
	for (with_syscall = 0; with_syscall <= 1; with_syscall++) {
		const char *how = with_syscall ? "getppid" : "none";
		for (unsigned j = 0; j < sizeof page_counts / sizeof *page_counts; j++)
			printf("%s pages %d: %.2f ns\n", how, page_counts[j],
			       pages_round(mem, page_counts[j], iterations));
		printf("%s frames 0: %.2f ns\n", how, frames_round(0, iterations));
		printf("%s frames %d: %.2f ns\n", how, MAX_FRAMES,
		       frames_round(MAX_FRAMES, iterations));
	}
	return 0;
}
