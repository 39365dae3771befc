/* The health endpoint (see health.c). */
#ifndef LASTCALL_HEALTH_H
#define LASTCALL_HEALTH_H

#include <stddef.h>

#include "base/config.h"

/* Binds and starts serving; -1 with a reason in `error`. */
int lc_health_start(const struct lc_health_addr *h, char *error, size_t error_size);
/* Its socket, never counted as one of the program's listeners; -1. */
int lc_health_fd(void);
void lc_health_note_signal(void);
void lc_health_forget_in_child(void);

#endif
