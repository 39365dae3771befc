/* lc_config_from_env: the input is a set of LASTCALL_* values separated by
 * NUL bytes, given to the variables in order; the configuration comes out
 * consistent or refused with a clear error. */
#include "base/config.h"
#include "fuzz_common.h"

static const char *const names[] = {
	"LASTCALL_TIMEOUT", "LASTCALL_DRAIN_TIMEOUT", "LASTCALL_CLEANUP_TIMEOUT",
	"LASTCALL_DELAY",   "LASTCALL_SIGNALS",	      "LASTCALL_LOG",
	"LASTCALL_HEALTH",  "LASTCALL_REPORT",
};
#define NAMES (sizeof names / sizeof names[0])
static const char *values[NAMES];

static const char *fake_getenv(const char *name)
{
	for (size_t i = 0; i < NAMES; i++)
		if (strcmp(name, names[i]) == 0)
			return values[i];
	return NULL;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *text = fuzz_string(data, size);
	/* NUL bytes separate the values; one starting with \x01 stays unset */
	const char *p = text;
	for (size_t i = 0; i < NAMES; i++) {
		values[i] = p < text + size && *p != '\x01' ? p : NULL;
		p = p < text + size ? p + strlen(p) + 1 : p;
	}
	struct lc_config cfg;
	struct lc_config_error err = {{0}};
	if (lc_config_from_env(&cfg, fake_getenv, &err) == 0) {
		if (cfg.timeout_ns <= 0 || cfg.drain_timeout_ns > cfg.timeout_ns ||
		    cfg.cleanup_timeout_ns > cfg.timeout_ns ||
		    (cfg.delay_ns > 0 && cfg.delay_ns >= cfg.drain_timeout_ns))
			abort();
	} else {
		fuzz_check_message(err.message);
	}
	free(text);
	return 0;
}
