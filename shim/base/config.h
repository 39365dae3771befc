/* Configuration: the options of the SPEC table, parsed and checked.
 *
 * Shared by the launcher (options -> variables) and the library (variables,
 * checked in its constructor), so both refuse exactly the same values. */
#ifndef LASTCALL_CONFIG_H
#define LASTCALL_CONFIG_H

#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LASTCALL_VERSION "0.1.0"

/* Durations are kept in nanoseconds; the longest accepted is 10^6 s. */
#define LC_MAX_DURATION_NS (1000000LL * 1000000000LL)

enum lc_log_level { LC_LOG_ERROR = 0, LC_LOG_WARN, LC_LOG_INFO, LC_LOG_DEBUG };

struct lc_health_addr {
	bool enabled;
	int family; /* AF_INET or AF_INET6 */
	struct sockaddr_storage addr;
	unsigned port;
};

/* The WebSocket quiet time's default: an agent's answer pauses for tool
 * calls and reasoning for seconds between frames (issue 18's streams: 1
 * to 3 s), and a connection idle that long at the signal has very likely
 * nothing coming; 5 s leaves room for both within the 20 s drain. */
#define LC_WS_QUIET_DEFAULT_NS (5 * 1000 * 1000 * 1000LL)

struct lc_config {
	int64_t timeout_ns;
	int64_t drain_timeout_ns; /* always set after lc_config_finish */
	int64_t cleanup_timeout_ns;
	int64_t delay_ns;
	/* A WebSocket connection between messages is idle once quiet both
	 * ways this long (proto/ws.h). */
	int64_t ws_quiet_ns;
	sigset_t signals;
	enum lc_log_level log_level;
	struct lc_health_addr health;
	char report_path[4096]; /* empty: no report */
};

/* One line describing what is wrong, ready to print after "lastcall: ". */
struct lc_config_error {
	char message[512];
};

/* Each parser returns 0, or -1 with err->message naming `source` (the
 * option or variable the value came from) and the value. */
int lc_parse_duration(const char *text, int64_t *out_ns, const char *source,
		      struct lc_config_error *err);
int lc_parse_signal_list(const char *text, sigset_t *out, const char *source,
			 struct lc_config_error *err);
int lc_parse_log_level(const char *text, enum lc_log_level *out, const char *source,
		       struct lc_config_error *err);
int lc_parse_health_addr(const char *text, struct lc_health_addr *out, const char *source,
			 struct lc_config_error *err);

/* A signal number from a name ("TERM", "SIGTERM", "term") or a number. */
int lc_signal_from_name(const char *name);
/* "SIGTERM" for 15; "SIG34" style for numbers without a name. */
const char *lc_signal_name(int sig, char buf[16]);

/* Reads every LASTCALL_* variable through `getenv_fn` (getenv, or a test's
 * table), applies defaults and checks the combination. */
int lc_config_from_env(struct lc_config *cfg, const char *(*getenv_fn)(const char *name),
		       struct lc_config_error *err);

/* Defaults: 25 s total, 5 s cleanup, no delay, TERM and INT, info. */
void lc_config_defaults(struct lc_config *cfg);

/* Derives the drain timeout and refuses contradictions. `drain_set` and
 * `cleanup_set` say which of the two the operator gave explicitly. */
int lc_config_finish(struct lc_config *cfg, bool drain_set, bool cleanup_set,
		     struct lc_config_error *err);

/* Formats a duration for humans: "25s", "1.5s", "250ms". */
const char *lc_format_duration(int64_t ns, char buf[32]);

#endif
