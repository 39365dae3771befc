/* `lastcall --stacks PID`: every thread's stack of PID as JSON (see
 * stacks.c). Part of the launcher binary, never of the library. */
#ifndef LASTCALL_STACKS_H
#define LASTCALL_STACKS_H

#include <sys/types.h>

#include <stdbool.h>

/* `python_on_stdin`: stdin holds CPython's traceback dump (--python), and
 * each thread it names gains "python": [{file, line, function}...]. */
int lc_print_stacks(pid_t pid, bool python_on_stdin);

#endif
