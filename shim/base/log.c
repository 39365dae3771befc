/* Async-signal-safe line logger (see log.h). */
#include "base/real.h"
#include "base/log.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>


static _Atomic int current_level = LC_LOG_INFO;

void lc_log_set_level(enum lc_log_level level)
{
	atomic_store(&current_level, (int)level);
}

int lc_log_enabled(enum lc_log_level level)
{
	return (int)level <= atomic_load(&current_level);
}

void lc_line_str(struct lc_line *line, const char *s)
{
	size_t room = sizeof line->buf - 1 - line->len; /* one byte kept for '\n' */
	size_t n = strlen(s);
	if (n > room)
		n = room;
	memcpy(line->buf + line->len, s, n);
	line->len += n;
}

void lc_line_uint(struct lc_line *line, uint64_t v)
{
	char digits[24];
	int i = (int)sizeof digits - 1;
	digits[i] = '\0';
	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	lc_line_str(line, digits + i);
}

void lc_line_int(struct lc_line *line, int64_t v)
{
	if (v < 0) {
		lc_line_str(line, "-");
		lc_line_uint(line, (uint64_t)(-(v + 1)) + 1);
	} else {
		lc_line_uint(line, (uint64_t)v);
	}
}

void lc_line_duration(struct lc_line *line, int64_t ns)
{
	if (ns < 0)
		ns = 0;
	int64_t ms = ns / 1000000;
	lc_line_uint(line, (uint64_t)(ms / 1000));
	int frac = (int)(ms % 1000);
	if (frac) {
		char f[5] = {'.', (char)('0' + frac / 100), (char)('0' + frac / 10 % 10),
			     (char)('0' + frac % 10), '\0'};
		for (int i = 3; i > 1 && f[i] == '0'; i--)
			f[i] = '\0';
		lc_line_str(line, f);
	}
	lc_line_str(line, "s");
}

void lc_line_start(struct lc_line *line)
{
	line->len = 0;
	lc_line_str(line, "lastcall[");
	lc_line_uint(line, (uint64_t)getpid());
	lc_line_str(line, "]: ");
}

void lc_line_emit(struct lc_line *line, enum lc_log_level level)
{
	if (!lc_log_enabled(level))
		return;
	int saved = errno;
	line->buf[line->len++] = '\n';
	const char *p = line->buf;
	size_t left = line->len;
	while (left > 0) {
		ssize_t n = lc_real_write(STDERR_FILENO, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		p += n;
		left -= (size_t)n;
	}
	line->len--;
	errno = saved;
}

void lc_log2(enum lc_log_level level, const char *a, const char *b)
{
	struct lc_line line;
	if (!lc_log_enabled(level))
		return;
	lc_line_start(&line);
	lc_line_str(&line, a);
	if (b)
		lc_line_str(&line, b);
	lc_line_emit(&line, level);
}
