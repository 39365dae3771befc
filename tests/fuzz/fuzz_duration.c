/* lc_parse_duration: any text is a duration in range or a clear error. */
#include "base/config.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *text = fuzz_string(data, size);
	int64_t ns = -1;
	struct lc_config_error err = {{0}};
	if (lc_parse_duration(text, &ns, "LASTCALL_TIMEOUT", &err) == 0) {
		if (ns < 0 || ns > LC_MAX_DURATION_NS)
			abort();
		char shown[32];
		lc_format_duration(ns, shown);
	} else {
		fuzz_check_message(err.message);
	}
	free(text);
	return 0;
}
