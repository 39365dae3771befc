/* Every open descriptor of this process, from /proc/self/fd — the
 * kernel's truth, including sockets inherited from a parent (socket
 * activation) that lastcall never saw created. No malloc (getdents64 into
 * a stack buffer): it runs when the program may be wedged. */
#ifndef LASTCALL_FDSCAN_H
#define LASTCALL_FDSCAN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef void (*lc_fd_visitor)(int fd, void *ctx);

/* Calls visit for each open fd. Returns the number visited, -1 on error. */
int lc_for_each_fd(lc_fd_visitor visit, void *ctx);

/* Calls visit for each numeric entry of a /proc directory (fds, tasks). */
int lc_for_each_number(const char *dir, lc_fd_visitor visit, void *ctx);

/* Process `pid` has socket `ino` open right now (/proc/PID/fd); true
 * also when that cannot be read (another user's process): the caller
 * then assumes the worst. */
bool lc_proc_has_socket(pid_t pid, uint64_t ino);

/* "/proc/PID/rest" ("/proc/self/..." for pid 0, right in any PID
 * namespace), or "/proc/PID/task/TID/rest" with tid > 0, into
 * `out` (room for 96 bytes); system calls only, async-signal-safe. */
void lc_proc_path(char *out, pid_t pid, pid_t tid, const char *rest);
/* Reads a small /proc file of that path whole into `buf`, NUL-ended;
 * returns its length, -1 if unreadable (a process gone meanwhile). */
ssize_t lc_proc_read(pid_t pid, pid_t tid, const char *rest, char *buf, size_t size);

/* How many threads of this process are blocked on `fd` right now in
 * accept/accept4 or in poll/ppoll/select/pselect6 with fd in their set
 * (/proc/self/task/TID/syscall: the blocked call and its arguments; the
 * fd arrays are read with process_vm_readv, which fails instead of
 * faulting if they are gone). Such threads hold a reference to the file. */
int lc_threads_waiting_on(int fd);

/* The fds that threads of this process are blocked reading (read, readv,
 * recvfrom, recvmsg): a thread-per-connection server waiting for the next
 * request. Returns how many threads, filling up to `max` fds. */
int lc_threads_reading(int *fds, int max);

/* Thread `tid` of this process sleeps in a system call right now (state
 * S in /proc/self/task/TID/stat): a signal sent now interrupts it. */
bool lc_thread_sleeping(int tid);

#endif
