/* The exits that end a shutdown: the program's own exit() (the wrapper's
 * logic) and lastcall's exit() for a signal whose default action the
 * program kept (SPEC step 6). Both yield to a third signal's forced end. */
#ifndef LASTCALL_EXITS_H
#define LASTCALL_EXITS_H

#include <sys/types.h>

/* The program's exit(): noted, so that lastcall never runs a second exit
 * alongside it (see lc_exit_for_default_action). */
_Noreturn void lc_exit(int status);
/* The program's _exit()/_Exit(): a wrapper's exit during a shutdown
 * waits for its draining children first (signal/wrapper.h). */
_Noreturn void lc_underscore_exit(int status);
/* The program's kill(): noted by a wrapper during a shutdown. */
int lc_kill(pid_t pid, int sig);
/* lastcall's own exit() for a signal whose default action the program
 * kept. When the program is already inside its own exit() (a thread
 * called it, a handler runs), a second exit() from here would run the rest
 * of the atexit list concurrently and end the process with lastcall's
 * status before the program's own handler finished (glibc 2.36 does not
 * serialise concurrent exit calls): the program's exit goes on instead,
 * and this thread parks (the watchdog keeps the deadline). */
_Noreturn void lc_exit_for_default_action(int status);
/* An atexit handler: exit() from main's return is glibc's internal call,
 * which no wrapper sees; registered at activation, this notes it too
 * (once the exit handlers registered before it have run). */
void lc_note_exit_started(void);

#endif
