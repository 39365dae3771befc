/* Parsing and checking of lastcall's configuration (SPEC: options table).
 * Bad values are refused with one line naming the source and the value;
 * nothing is guessed. */
#include "base/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(struct lc_config_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct lc_config_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return -1;
}

/* Values are echoed in messages; keep the line short and printable. */
static const char *printable(const char *text, char buf[64])
{
	size_t i;
	for (i = 0; text[i] && i < 48; i++)
		buf[i] = isprint((unsigned char)text[i]) ? text[i] : '?';
	if (text[i]) {
		memcpy(buf + i, "...", 4);
		return buf;
	}
	buf[i] = '\0';
	return buf;
}

int lc_parse_duration(const char *text, int64_t *out_ns, const char *source,
		      struct lc_config_error *err)
{
	char shown[64];
	const char *p = text;
	int64_t whole = 0, frac = 0, frac_scale = 1;
	bool digits = false;

	if (!text || !*text)
		return fail(err, "%s: empty duration (expected e.g. 1500ms, 2.5s, 30, 1m)", source);
	if (*p == '-')
		return fail(err, "%s: negative duration \"%s\"", source, printable(text, shown));
	for (; isdigit((unsigned char)*p); p++) {
		digits = true;
		if (whole > LC_MAX_DURATION_NS / 10)
			return fail(err, "%s: duration \"%s\" is too long", source,
				    printable(text, shown));
		whole = whole * 10 + (*p - '0');
	}
	if (*p == '.') {
		p++;
		for (; isdigit((unsigned char)*p); p++) {
			digits = true;
			if (frac_scale < 1000000000LL) {
				frac = frac * 10 + (*p - '0');
				frac_scale *= 10;
			}
		}
	}
	if (!digits)
		return fail(err, "%s: invalid duration \"%s\" (expected e.g. 1500ms, 2.5s, 30, 1m)",
			    source, printable(text, shown));

	int64_t unit_ns;
	if (strcmp(p, "ms") == 0)
		unit_ns = 1000000LL;
	else if (strcmp(p, "s") == 0 || *p == '\0')
		unit_ns = 1000000000LL;
	else if (strcmp(p, "m") == 0)
		unit_ns = 60LL * 1000000000LL;
	else
		return fail(err, "%s: invalid duration \"%s\" (units: ms, s, m)", source,
			    printable(text, shown));

	if (whole > LC_MAX_DURATION_NS / unit_ns)
		return fail(err, "%s: duration \"%s\" is too long (at most 1000000s)", source,
			    printable(text, shown));
	/* frac * unit_ns / frac_scale, without the product: 9 fraction digits
	 * of a minute would overflow 64 bits (found by tests/fuzz). */
	int64_t frac_ns = frac * (unit_ns / frac_scale) + frac * (unit_ns % frac_scale) / frac_scale;
	int64_t ns = whole * unit_ns + frac_ns;
	if (ns > LC_MAX_DURATION_NS)
		return fail(err, "%s: duration \"%s\" is too long (at most 1000000s)", source,
			    printable(text, shown));
	*out_ns = ns;
	return 0;
}

static const struct {
	const char *name;
	int number;
} signal_names[] = {
	{"HUP", SIGHUP},   {"INT", SIGINT},	  {"QUIT", SIGQUIT}, {"ILL", SIGILL},
	{"TRAP", SIGTRAP}, {"ABRT", SIGABRT},	  {"IOT", SIGIOT},   {"BUS", SIGBUS},
	{"FPE", SIGFPE},   {"KILL", SIGKILL},	  {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},
	{"USR2", SIGUSR2}, {"PIPE", SIGPIPE},	  {"ALRM", SIGALRM}, {"TERM", SIGTERM},
	{"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT}, {"STOP", SIGSTOP},
	{"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},	  {"TTOU", SIGTTOU}, {"URG", SIGURG},
	{"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},	  {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
	{"WINCH", SIGWINCH}, {"IO", SIGIO},	  {"POLL", SIGPOLL}, {"PWR", SIGPWR},
	{"SYS", SIGSYS},
};

int lc_signal_from_name(const char *name)
{
	if (!name || !*name)
		return -1;
	if (isdigit((unsigned char)name[0])) {
		char *end;
		errno = 0;
		long n = strtol(name, &end, 10);
		if (errno || *end || n < 1 || n > SIGRTMAX)
			return -1;
		return (int)n;
	}
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
		if (strcasecmp(name, signal_names[i].name) == 0)
			return signal_names[i].number;
	return -1;
}

/* Async-signal-safe: the signal handler logs with it. */
const char *lc_signal_name(int sig, char buf[16])
{
	const char *name = NULL;
	for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
		if (signal_names[i].number == sig) {
			name = signal_names[i].name;
			break;
		}
	memcpy(buf, "SIG", 3);
	size_t n = 3;
	if (name) {
		for (; *name && n < 15; name++)
			buf[n++] = *name;
	} else {
		unsigned v = sig > 0 && sig < 100 ? (unsigned)sig : 0;
		if (v >= 10)
			buf[n++] = (char)('0' + v / 10);
		buf[n++] = (char)('0' + v % 10);
	}
	buf[n] = '\0';
	return buf;
}

int lc_parse_signal_list(const char *text, sigset_t *out, const char *source,
			 struct lc_config_error *err)
{
	char shown[64], copy[256];
	if (!text || !*text)
		return fail(err, "%s: empty signal list (expected e.g. TERM,INT)", source);
	if (strlen(text) >= sizeof copy)
		return fail(err, "%s: signal list \"%s\" is too long", source,
			    printable(text, shown));
	strcpy(copy, text);

	sigemptyset(out);
	char *save = NULL;
	/* strtok_r would silently merge ",," — an empty item is a typo. */
	if (copy[0] == ',' || copy[strlen(copy) - 1] == ',' || strstr(copy, ",,"))
		return fail(err, "%s: empty item in signal list \"%s\"", source,
			    printable(text, shown));
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		int sig = lc_signal_from_name(item);
		if (sig < 0)
			return fail(err, "%s: unknown signal \"%s\"", source, printable(item, shown));
		if (sig == SIGKILL || sig == SIGSTOP)
			return fail(err, "%s: %s cannot be caught by anyone", source,
				    printable(item, shown));
		/* A crash must never be mistaken for a request to drain. */
		if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
		    sig == SIGTRAP || sig == SIGSYS)
			return fail(err, "%s: %s reports a fault, not a request to stop", source,
				    printable(item, shown));
		/* glibc reserves the first real-time signals for its threads. */
		if (sig >= 32 && sig < SIGRTMIN)
			return fail(err, "%s: signal %s is reserved by the C library", source,
				    printable(item, shown));
		sigaddset(out, sig);
	}
	return 0;
}

int lc_parse_log_level(const char *text, enum lc_log_level *out, const char *source,
		       struct lc_config_error *err)
{
	static const char *names[] = {"error", "warn", "info", "debug"};
	char shown[64];
	for (int i = 0; i < 4; i++)
		if (text && strcmp(text, names[i]) == 0) {
			*out = (enum lc_log_level)i;
			return 0;
		}
	return fail(err, "%s: unknown log level \"%s\" (error, warn, info, debug)", source,
		    printable(text ? text : "", shown));
}

int lc_parse_health_addr(const char *text, struct lc_health_addr *out, const char *source,
			 struct lc_config_error *err)
{
	char shown[64], host[128];
	const char *colon;
	memset(out, 0, sizeof *out);
	if (!text || !*text)
		return fail(err, "%s: empty address (expected e.g. 127.0.0.1:8081)", source);

	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || close[1] != ':')
			return fail(err, "%s: invalid address \"%s\" (expected [::1]:PORT)", source,
				    printable(text, shown));
		size_t len = (size_t)(close - text - 1);
		if (len >= sizeof host)
			return fail(err, "%s: invalid address \"%s\"", source, printable(text, shown));
		memcpy(host, text + 1, len);
		host[len] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon)
			return fail(err, "%s: address \"%s\" has no port (expected ADDR:PORT)", source,
				    printable(text, shown));
		size_t len = (size_t)(colon - text);
		if (len >= sizeof host)
			return fail(err, "%s: invalid address \"%s\"", source, printable(text, shown));
		memcpy(host, text, len);
		host[len] = '\0';
	}

	const char *port_text = colon + 1;
	char *end;
	errno = 0;
	long port = strtol(port_text, &end, 10);
	if (!*port_text || !isdigit((unsigned char)*port_text) || *end || errno || port < 1 ||
	    port > 65535)
		return fail(err, "%s: invalid port in \"%s\" (1-65535)", source,
			    printable(text, shown));

	/* Loopback unless told otherwise: an empty host means 127.0.0.1. */
	if (host[0] == '\0')
		strcpy(host, "127.0.0.1");
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->addr;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)port);
		out->family = AF_INET;
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		out->family = AF_INET6;
	} else {
		return fail(err, "%s: invalid IP address in \"%s\" (names are not resolved)", source,
			    printable(text, shown));
	}
	out->port = (unsigned)port;
	out->enabled = true;
	return 0;
}

void lc_config_defaults(struct lc_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->timeout_ns = 25LL * 1000000000LL;
	cfg->cleanup_timeout_ns = 5LL * 1000000000LL;
	cfg->drain_timeout_ns = -1;
	cfg->delay_ns = 0;
	cfg->ws_quiet_ns = LC_WS_QUIET_DEFAULT_NS;
	sigemptyset(&cfg->signals);
	sigaddset(&cfg->signals, SIGTERM);
	sigaddset(&cfg->signals, SIGINT);
	cfg->log_level = LC_LOG_INFO;
}

const char *lc_format_duration(int64_t ns, char buf[32])
{
	int64_t ms = ns / 1000000LL;
	if (ms % 1000 == 0)
		snprintf(buf, 32, "%llds", (long long)(ms / 1000));
	else if (ms < 1000)
		snprintf(buf, 32, "%lldms", (long long)ms);
	else
		snprintf(buf, 32, "%lld.%03llds", (long long)(ms / 1000), (long long)(ms % 1000));
	/* "1.500s" reads better as "1.5s" */
	char *dot = strchr(buf, '.');
	if (dot) {
		char *s = buf + strlen(buf) - 1; /* at 's' */
		char *last = s - 1;
		while (last > dot + 1 && *last == '0')
			last--;
		memmove(last + 1, s, 2);
	}
	return buf;
}

int lc_config_finish(struct lc_config *cfg, bool drain_set, bool cleanup_set,
		     struct lc_config_error *err)
{
	char a[32], b[32], c[32];
	if (cfg->timeout_ns <= 0)
		return fail(err, "LASTCALL_TIMEOUT (--timeout): must be greater than 0");
	/* The default cleanup budget is 5 s, a fifth of the default total; a
	 * shorter total keeps that proportion rather than being refused for a
	 * value the operator never gave. */
	if (!cleanup_set && cfg->cleanup_timeout_ns > cfg->timeout_ns / 5)
		cfg->cleanup_timeout_ns = cfg->timeout_ns / 5;
	if (cfg->cleanup_timeout_ns > cfg->timeout_ns)
		return fail(err,
			    "LASTCALL_CLEANUP_TIMEOUT (--cleanup-timeout) %s is larger than "
			    "LASTCALL_TIMEOUT (--timeout) %s",
			    lc_format_duration(cfg->cleanup_timeout_ns, a),
			    lc_format_duration(cfg->timeout_ns, b));
	if (drain_set) {
		if (cfg->drain_timeout_ns > cfg->timeout_ns)
			return fail(err,
				    "LASTCALL_DRAIN_TIMEOUT (--drain-timeout) %s is larger than "
				    "LASTCALL_TIMEOUT (--timeout) %s",
				    lc_format_duration(cfg->drain_timeout_ns, a),
				    lc_format_duration(cfg->timeout_ns, b));
		if (cleanup_set && cfg->drain_timeout_ns + cfg->cleanup_timeout_ns > cfg->timeout_ns)
			return fail(err,
				    "LASTCALL_DRAIN_TIMEOUT (--drain-timeout) %s plus "
				    "LASTCALL_CLEANUP_TIMEOUT (--cleanup-timeout) %s exceed "
				    "LASTCALL_TIMEOUT (--timeout) %s",
				    lc_format_duration(cfg->drain_timeout_ns, a),
				    lc_format_duration(cfg->cleanup_timeout_ns, b),
				    lc_format_duration(cfg->timeout_ns, c));
	} else {
		cfg->drain_timeout_ns = cfg->timeout_ns - cfg->cleanup_timeout_ns;
	}
	if (cfg->delay_ns > 0 && cfg->delay_ns >= cfg->drain_timeout_ns)
		return fail(err,
			    "LASTCALL_DELAY (--delay) %s leaves no time to drain (drain timeout %s)",
			    lc_format_duration(cfg->delay_ns, a),
			    lc_format_duration(cfg->drain_timeout_ns, b));
	return 0;
}

int lc_config_from_env(struct lc_config *cfg, const char *(*getenv_fn)(const char *name),
		       struct lc_config_error *err)
{
	const char *v;
	bool drain_set = false, cleanup_set = false;
	lc_config_defaults(cfg);

	if ((v = getenv_fn("LASTCALL_TIMEOUT")) &&
	    lc_parse_duration(v, &cfg->timeout_ns, "LASTCALL_TIMEOUT", err) < 0)
		return -1;
	if ((v = getenv_fn("LASTCALL_DRAIN_TIMEOUT"))) {
		if (lc_parse_duration(v, &cfg->drain_timeout_ns, "LASTCALL_DRAIN_TIMEOUT", err) < 0)
			return -1;
		drain_set = true;
	}
	if ((v = getenv_fn("LASTCALL_CLEANUP_TIMEOUT"))) {
		if (lc_parse_duration(v, &cfg->cleanup_timeout_ns, "LASTCALL_CLEANUP_TIMEOUT", err) <
		    0)
			return -1;
		cleanup_set = true;
	}
	if ((v = getenv_fn("LASTCALL_DELAY")) &&
	    lc_parse_duration(v, &cfg->delay_ns, "LASTCALL_DELAY", err) < 0)
		return -1;
	if ((v = getenv_fn("LASTCALL_WS_QUIET")) &&
	    lc_parse_duration(v, &cfg->ws_quiet_ns, "LASTCALL_WS_QUIET", err) < 0)
		return -1;
	if ((v = getenv_fn("LASTCALL_SIGNALS")) &&
	    lc_parse_signal_list(v, &cfg->signals, "LASTCALL_SIGNALS", err) < 0)
		return -1;
	if ((v = getenv_fn("LASTCALL_LOG")) &&
	    lc_parse_log_level(v, &cfg->log_level, "LASTCALL_LOG", err) < 0)
		return -1;
	if ((v = getenv_fn("LASTCALL_HEALTH")) &&
	    lc_parse_health_addr(v, &cfg->health, "LASTCALL_HEALTH", err) < 0)
		return -1;
	if ((v = getenv_fn("LASTCALL_REPORT"))) {
		char shown[64];
		if (!*v)
			return fail(err, "LASTCALL_REPORT: empty path (use - for stderr)");
		if (strlen(v) >= sizeof cfg->report_path)
			return fail(err, "LASTCALL_REPORT: path \"%s\" is too long",
				    printable(v, shown));
		strcpy(cfg->report_path, v);
	}
	return lc_config_finish(cfg, drain_set, cleanup_set, err);
}
