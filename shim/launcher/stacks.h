/* `lastcall --stacks PID`: every thread's stack of PID as JSON (see
 * stacks.c). Part of the launcher binary, never of the library. */
#ifndef LASTCALL_STACKS_H
#define LASTCALL_STACKS_H

#include <sys/types.h>

int lc_print_stacks(pid_t pid);

#endif
