/* Logging: one write(2) per line to stderr, prefixed "lastcall[PID]: ".
 *
 * Everything here is async-signal-safe (no stdio, no malloc, no locks), so
 * the signal handler and a wedged process can log too. A single write() of
 * a short line is never interleaved mid-line with the program's output. */
#ifndef LASTCALL_LOG_H
#define LASTCALL_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "base/config.h"

struct lc_line {
	char buf[1024];
	size_t len;
};

void lc_log_set_level(enum lc_log_level level);
int lc_log_enabled(enum lc_log_level level);

/* Starts a line with the prefix for this process. */
void lc_line_start(struct lc_line *line);
void lc_line_str(struct lc_line *line, const char *s);
void lc_line_uint(struct lc_line *line, uint64_t v);
void lc_line_int(struct lc_line *line, int64_t v);
/* Seconds with millisecond precision, trailing zeros trimmed: "1.25s". */
void lc_line_duration(struct lc_line *line, int64_t ns);
/* Writes the line (adding the newline) if `level` is enabled. */
void lc_line_emit(struct lc_line *line, enum lc_log_level level);

/* Convenience for a fixed message: lastcall[PID]: <a><b> */
void lc_log2(enum lc_log_level level, const char *a, const char *b);

#endif
