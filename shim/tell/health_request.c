/* Health request parsing (see health_request.h). */
#include "tell/health_request.h"

#include <string.h>

/* The end of the headers: a blank line, "\r\n\r\n" or (lenient) "\n\n". */
static bool headers_complete(const char *buf, size_t len)
{
	return memmem(buf, len, "\r\n\r\n", 4) || memmem(buf, len, "\n\n", 2);
}

/* Copies the next space-separated word of the request line into out
 * (at most size - 1 bytes); false if it is empty or longer. */
static bool next_word(const char **p, const char *end, char *out, size_t size)
{
	while (*p < end && **p == ' ')
		(*p)++;
	size_t n = 0;
	while (*p < end && **p != ' ') {
		if (n + 1 >= size)
			return false;
		out[n++] = *(*p)++;
	}
	out[n] = '\0';
	return n > 0;
}

enum lc_health_route lc_health_parse(const char *buf, size_t len, size_t limit, bool *head)
{
	*head = false;
	if (memchr(buf, '\0', len))
		return LC_HEALTH_BAD;
	if (!headers_complete(buf, len))
		return len >= limit ? LC_HEALTH_TOO_LARGE : LC_HEALTH_INCOMPLETE;
	/* the request line: up to the first "\r\n" or "\n" (one exists) */
	const char *end = memchr(buf, '\n', len);
	if (end > buf && end[-1] == '\r')
		end--;
	const char *p = buf;
	char method[8], path[128], version[16];
	if (!next_word(&p, end, method, sizeof method) || !next_word(&p, end, path, sizeof path) ||
	    !next_word(&p, end, version, sizeof version))
		return LC_HEALTH_BAD;
	while (p < end && *p == ' ')
		p++;
	if (p < end) /* a fourth word */
		return LC_HEALTH_BAD;
	if (strncmp(version, "HTTP/1.", 7) != 0 ||
	    (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0))
		return LC_HEALTH_BAD;
	*head = method[0] == 'H';
	char *query = strchr(path, '?');
	if (query)
		*query = '\0';
	if (strcmp(path, "/ready") == 0)
		return LC_HEALTH_READY;
	if (strcmp(path, "/live") == 0)
		return LC_HEALTH_LIVE;
	if (strcmp(path, "/status") == 0)
		return LC_HEALTH_STATUS;
	return LC_HEALTH_NOT_FOUND;
}
