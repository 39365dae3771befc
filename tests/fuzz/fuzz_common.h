/* Shared by the fuzz targets: the input as a NUL-terminated string (the
 * parsers take C strings, as they come from argv and the environment). */
#ifndef LASTCALL_FUZZ_COMMON_H
#define LASTCALL_FUZZ_COMMON_H

#include <stdlib.h>
#include <string.h>

static inline char *fuzz_string(const unsigned char *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	return text;
}

/* Every parser must leave a one-line error message on failure. */
static inline void fuzz_check_message(const char *message)
{
	if (!message[0] || strchr(message, '\n') || strlen(message) >= 512)
		abort();
}

#endif
