/* Replies still leaving: connections the program closed during shutdown
 * while their send queue was not empty (SPEC step 5). The exit phase waits
 * until those bytes are delivered, within the drain deadline: the process
 * exiting would not cut them on a host, but a container's network
 * namespace going away with it would. */
#ifndef LASTCALL_LEAVING_H
#define LASTCALL_LEAVING_H

/* From the close hooks, before the real close, during shutdown only. */
void lc_leaving_note(int fd);
/* Connections whose bytes are still on their way (0: all delivered). */
int lc_leaving_count(void);

#endif
