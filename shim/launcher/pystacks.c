/* CPython's traceback dump (see pystacks.h). Its format, by
 * Python/traceback.c (3.8 to 3.12):
 *     Thread 0x00007f3a5c1ff6c0 (most recent call first):
 *       File "/srv/app.py", line 4 in fetch_embeddings
 *       File "/srv/app.py", line 9 in handle
 *     <blank line>
 *     Current thread 0x... (most recent call first):   (the caller's own)
 *       <no Python frame>
 * A filename or name too long ends in "..."; a thread beyond 100 is
 * "...". Anything else is skipped. */
#include "launcher/pystacks.h"

#include <stdlib.h>
#include <string.h>

#define MAX_PY_THREADS 128

static struct lc_py_thread threads[MAX_PY_THREADS];
static int thread_count;

static void copy(char *out, size_t size, const char *from, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(out, from, n);
	out[n] = '\0';
}

void lc_py_line(const char *line)
{
	const char *ident = NULL;
	if (strncmp(line, "Thread 0x", 9) == 0)
		ident = line + 7;
	else if (strncmp(line, "Current thread 0x", 17) == 0)
		ident = line + 15;
	if (ident) {
		if (thread_count == MAX_PY_THREADS)
			return;
		struct lc_py_thread *t = &threads[thread_count++];
		memset(t, 0, sizeof *t);
		t->ident = strtoull(ident, NULL, 16);
		return;
	}
	if (thread_count == 0 || strncmp(line, "  File \"", 8) != 0)
		return;
	struct lc_py_thread *t = &threads[thread_count - 1];
	if (t->count == (int)(sizeof t->frames / sizeof t->frames[0]))
		return;
	const char *file = line + 8;
	const char *file_end = strstr(file, "\", line ");
	if (!file_end)
		return;
	const char *number = file_end + 8;
	char *after;
	long n = strtol(number, &after, 10);
	if (after == number || strncmp(after, " in ", 4) != 0)
		return;
	const char *function = after + 4;
	struct lc_py_frame *f = &t->frames[t->count++];
	copy(f->file, sizeof f->file, file, (size_t)(file_end - file));
	f->line = (int)n;
	copy(f->function, sizeof f->function, function, strcspn(function, "\r\n"));
}

int lc_py_load(FILE *in)
{
	char line[1024];
	while (fgets(line, sizeof line, in))
		lc_py_line(line);
	return thread_count;
}

const struct lc_py_thread *lc_py_find(uint64_t ident)
{
	for (int i = 0; i < thread_count; i++)
		if (threads[i].ident == ident)
			return &threads[i];
	return NULL;
}
