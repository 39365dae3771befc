/* What the tests of shim/track/ share: a table of their own for each test
 * (cmocka setup and teardown), never the process's lc_table. */
#ifndef LASTCALL_TABLE_TEST_H
#define LASTCALL_TABLE_TEST_H

#include <stdlib.h>

#include "track/fdtable.h"

static int setup(void **state)
{
	struct lc_fdtable *t = calloc(1, sizeof *t);
	if (!t)
		return -1;
	lc_fdtable_reset(t);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	lc_fdtable_reset(*state);
	free(*state);
	return 0;
}

#endif
