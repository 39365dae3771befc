/* lc_health_parse: whatever a client sends, a route or an error, reading
 * nothing past what was received (ASan checks the bounds: the input is
 * copied to a buffer of exactly its size, no terminator). */
#include "fuzz_common.h"
#include "tell/health_request.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *exact = malloc(size ? size : 1);
	if (!exact)
		abort();
	memcpy(exact, data, size);
	bool head;
	enum lc_health_route route = lc_health_parse(exact, size, 2047, &head);
	if (route > LC_HEALTH_NOT_FOUND)
		abort();
	if (size >= 2047 && route == LC_HEALTH_INCOMPLETE)
		abort(); /* a full buffer must be answered */
	free(exact);
	return 0;
}
