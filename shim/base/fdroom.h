/* Room in the descriptor table for lastcall's own work at shutdown. */
#ifndef LASTCALL_FDROOM_H
#define LASTCALL_FDROOM_H

#include <stdbool.h>

/* Call after a descriptor-creating call failed. When it failed with
 * EMFILE (the program is at its RLIMIT_NOFILE, its own accept failing
 * too), raises the soft limit a little and returns true: retry once.
 * Returns false (errno kept) when there is nothing to do. */
bool lc_fd_make_room(void);

/* The reserve: one descriptor held from activation so that the report
 * can be written when the limit cannot be raised. Close-on-exec; a forked
 * child drops its copy and takes its own if it activates. */
void lc_fd_reserve_take(void);
void lc_fd_reserve_drop(void);
/* After a failed open with EMFILE: gives up the reserve, true if it was
 * still there (retry once). */
bool lc_fd_reserve_release(void);

/* Evaluates `call`, a descriptor-creating call, once more when it failed
 * with EMFILE and room was made. */
#define LC_WITH_ROOM(call)                                    \
	({                                                    \
		int lc_room_result_ = (call);                 \
		if (lc_room_result_ < 0 && lc_fd_make_room()) \
			lc_room_result_ = (call);             \
		lc_room_result_;                              \
	})

#endif
