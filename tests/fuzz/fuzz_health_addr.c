/* lc_parse_health_addr: an IPv4/IPv6 address and a port, or a clear error. */
#include <sys/socket.h>

#include "base/config.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *text = fuzz_string(data, size);
	struct lc_health_addr addr;
	struct lc_config_error err = {{0}};
	if (lc_parse_health_addr(text, &addr, "LASTCALL_HEALTH", &err) == 0) {
		if (addr.enabled && ((addr.family != AF_INET && addr.family != AF_INET6) ||
				     addr.port > 65535))
			abort();
	} else {
		fuzz_check_message(err.message);
	}
	free(text);
	return 0;
}
