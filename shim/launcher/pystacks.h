/* CPython's traceback dump (faulthandler's text), read by the --stacks
 * helper and matched to the threads it stopped (see pystacks.c). */
#ifndef LASTCALL_PYSTACKS_H
#define LASTCALL_PYSTACKS_H

#include <stdint.h>
#include <stdio.h>

struct lc_py_frame {
	char file[256];
	int line;
	char function[128];
};

struct lc_py_thread {
	uint64_t ident; /* "Thread 0x..." : the thread's pthread_t */
	int count;
	struct lc_py_frame frames[32]; /* most recent call first */
};

/* Reads the whole dump from `in`. Returns the number of threads. */
int lc_py_load(FILE *in);

/* The traceback of the thread whose pthread_t is `ident`, or NULL. */
const struct lc_py_thread *lc_py_find(uint64_t ident);

/* Parses one dump line into the tables (exposed for the unit test). */
void lc_py_line(const char *line);

#endif
