/* lc_parse_signal_list: a set of real signals, or a clear error. */
#include "base/config.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *text = fuzz_string(data, size);
	sigset_t set;
	struct lc_config_error err = {{0}};
	if (lc_parse_signal_list(text, &set, "LASTCALL_SIGNALS", &err) == 0) {
		/* never the signals no handler can take */
		if (sigismember(&set, SIGKILL) == 1 || sigismember(&set, SIGSTOP) == 1)
			abort();
	} else {
		fuzz_check_message(err.message);
	}
	free(text);
	return 0;
}
