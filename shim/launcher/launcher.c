/* lastcall — the launcher.
 *
 *   lastcall [OPTIONS] [--] PROGRAM [ARGS...]
 *
 * Turns options into LASTCALL_* variables, refuses bad configuration
 * (exit 2, program not started), prepends the library to LD_PRELOAD and
 * execs the program: same pid, so signals from Docker, Kubernetes or
 * systemd reach it directly (a launcher that forked and waited would
 * swallow them). Compiled, because distroless images have no shell.
 *
 * Folder launcher/: this binary and its --stacks helper (stacks, run by
 * the library at a deadline). Shares base/config.c with the library,
 * so both refuse the same values; never linked into the library. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "base/config.h"
#include "launcher/elfcheck.h"
#include "launcher/stacks.h"

#define LIBRARY_NAME "liblastcall.so"

static void usage(FILE *out)
{
	fputs("usage: lastcall [OPTIONS] [--] PROGRAM [ARGS...]\n"
	      "\n"
	      "Graceful shutdown for a server that was not written for it: on SIGTERM,\n"
	      "stop accepting, let requests in progress finish, close idle connections,\n"
	      "then let the program exit, all within a deadline.\n"
	      "\n"
	      "  -t, --timeout DUR          total budget from the signal to exit (25s)\n"
	      "      --drain-timeout DUR    longest drain (timeout - cleanup timeout)\n"
	      "      --cleanup-timeout DUR  time kept for the exit phase (5s)\n"
	      "  -d, --delay DUR            keep serving this long before closing listeners (0)\n"
	      "  -s, --signals LIST         signals that start a shutdown (TERM,INT)\n"
	      "      --ws-quiet DUR         a WebSocket quiet both ways this long is idle (5s)\n"
	      "      --health ADDR:PORT     /ready, /live, /status endpoint (off)\n"
	      "      --report PATH          write the shutdown report as JSON (- = stderr)\n"
	      "  -v, -q                     more / less logging (info; -v debug, -q warn)\n"
	      "      --version, --help\n"
	      "\n"
	      "Durations: 1500ms, 2.5s, 30 (seconds), 1m. Every option has a LASTCALL_*\n"
	      "variable (see lastcall(1)); options win.\n",
	      out);
}

static void refuse(const char *message)
{
	fprintf(stderr, "lastcall: %s\n", message);
	exit(2);
}

static const char *launcher_getenv(const char *name)
{
	return getenv(name);
}

/* Checks one option's value now, so the message names the option; the
 * value then travels to the library as its variable. */
static void set_duration(const char *option, const char *variable, const char *value)
{
	struct lc_config_error err;
	int64_t ns;
	if (lc_parse_duration(value, &ns, option, &err) < 0)
		refuse(err.message);
	setenv(variable, value, 1);
}

static void check_health_bindable(const struct lc_health_addr *h)
{
	int fd = socket(h->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	socklen_t len = h->family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, (const struct sockaddr *)&h->addr, len) < 0) {
		char message[256];
		snprintf(message, sizeof message, "--health (LASTCALL_HEALTH) %s: cannot bind: %s",
			 getenv("LASTCALL_HEALTH"), strerror(errno));
		refuse(message);
	}
	close(fd);
}

/* The library sits next to the launcher (build/) or in ../lib (installed). */
static int find_library(char *out, size_t size)
{
	char self[PATH_MAX];
	const char *override = getenv("LASTCALL_LIBRARY");
	if (override && *override) {
		if (access(override, R_OK) != 0)
			return -1;
		return realpath(override, out) ? 0 : -1;
	}
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	const char *candidates[] = {"/" LIBRARY_NAME, "/../lib/" LIBRARY_NAME,
				    "/../lib/lastcall/" LIBRARY_NAME};
	for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
		char path[PATH_MAX + 64];
		snprintf(path, sizeof path, "%s%s", self, candidates[i]);
		if (access(path, R_OK) == 0 && realpath(path, out) && strlen(out) < size)
			return 0;
	}
	return -1;
}

/* execvp's search, done early so the ELF check reads the right file. */
static bool resolve_program(const char *name, char *out, size_t size)
{
	if (strchr(name, '/')) {
		snprintf(out, size, "%s", name);
		return access(out, X_OK) == 0;
	}
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *end = strchr(path, ':');
		size_t len = end ? (size_t)(end - path) : strlen(path);
		snprintf(out, size, "%.*s%s%s", (int)len, len ? path : ".", "/", name);
		if (access(out, X_OK) == 0)
			return true;
		path += len + (end ? 1 : 0);
	}
	return false;
}

/* An exec that changes the user or group (a setuid or setgid file owned
 * by someone else) or grants file capabilities runs in glibc's secure
 * mode (AT_SECURE): LD_PRELOAD entries with a slash are ignored, so the
 * library never loads. Say so rather than let the program run without
 * graceful shutdown in silence. */
static void warn_if_secure_exec(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return;
	bool setuid = (st.st_mode & S_ISUID) && st.st_uid != getuid();
	bool setgid = (st.st_mode & S_ISGID) && (st.st_mode & S_IXGRP) && st.st_gid != getgid();
	bool capabilities = getxattr(path, "security.capability", NULL, 0) > 0;
	if (setuid || setgid || capabilities)
		fprintf(stderr,
			"lastcall: warning: %s is %s: the loader ignores LD_PRELOAD for it, "
			"so it runs without graceful shutdown\n",
			path, capabilities ? "given file capabilities" : setuid ? "setuid" : "setgid");
}

static void warn_unreachable(const char *program)
{
	char path[PATH_MAX];
	if (!resolve_program(program, path, sizeof path))
		return; /* exec will report it */
	switch (lc_program_kind(path)) {
	case LC_PROGRAM_STATIC:
		fprintf(stderr,
			"lastcall: warning: %s is statically linked: LD_PRELOAD cannot reach it, "
			"so it runs without graceful shutdown\n",
			path);
		break;
	case LC_PROGRAM_GO:
		fprintf(stderr,
			"lastcall: warning: %s is a Go program: it makes its own system calls, "
			"so it runs without graceful shutdown\n",
			path);
		break;
	case LC_PROGRAM_NOT_ELF:
		fprintf(stderr,
			"lastcall: warning: %s is not a dynamically linked ELF program: "
			"LD_PRELOAD may not reach it\n",
			path);
		break;
	default:
		break;
	}
	warn_if_secure_exec(path);
}

static void prepend_preload(const char *library)
{
	const char *existing = getenv("LD_PRELOAD");
	if (existing && strstr(existing, library))
		return;
	size_t len = strlen(library) + (existing ? strlen(existing) + 1 : 0) + 1;
	char *value = malloc(len);
	if (!value)
		refuse("out of memory");
	snprintf(value, len, "%s%s%s", library, existing && *existing ? " " : "",
		 existing ? existing : "");
	setenv("LD_PRELOAD", value, 1);
	free(value);
}

int main(int argc, char **argv)
{
	enum { OPT_DRAIN = 256, OPT_CLEANUP, OPT_HEALTH, OPT_REPORT, OPT_WS_QUIET, OPT_VERSION, OPT_HELP };
	static const struct option options[] = {
		{"timeout", required_argument, NULL, 't'},
		{"drain-timeout", required_argument, NULL, OPT_DRAIN},
		{"cleanup-timeout", required_argument, NULL, OPT_CLEANUP},
		{"delay", required_argument, NULL, 'd'},
		{"signals", required_argument, NULL, 's'},
		{"ws-quiet", required_argument, NULL, OPT_WS_QUIET},
		{"health", required_argument, NULL, OPT_HEALTH},
		{"report", required_argument, NULL, OPT_REPORT},
		{"verbose", no_argument, NULL, 'v'},
		{"quiet", no_argument, NULL, 'q'},
		{"version", no_argument, NULL, OPT_VERSION},
		{"help", no_argument, NULL, OPT_HELP},
		{NULL, 0, NULL, 0},
	};
	struct lc_config_error err;
	int verbosity = 0, opt;
	/* Hidden mode, run by the library at a deadline (report.c). */
	if ((argc == 3 || (argc == 4 && strcmp(argv[3], "--python") == 0)) &&
	    strcmp(argv[1], "--stacks") == 0)
		return lc_print_stacks((pid_t)atoi(argv[2]), argc == 4);
	opterr = 0;
	/* '+': options end at PROGRAM; its own options are its own. */
	while ((opt = getopt_long(argc, argv, "+:t:d:s:vq", options, NULL)) != -1) {
		switch (opt) {
		case 't':
			set_duration("--timeout", "LASTCALL_TIMEOUT", optarg);
			break;
		case OPT_DRAIN:
			set_duration("--drain-timeout", "LASTCALL_DRAIN_TIMEOUT", optarg);
			break;
		case OPT_CLEANUP:
			set_duration("--cleanup-timeout", "LASTCALL_CLEANUP_TIMEOUT", optarg);
			break;
		case 'd':
			set_duration("--delay", "LASTCALL_DELAY", optarg);
			break;
		case OPT_WS_QUIET:
			set_duration("--ws-quiet", "LASTCALL_WS_QUIET", optarg);
			break;
		case 's': {
			sigset_t set;
			if (lc_parse_signal_list(optarg, &set, "--signals", &err) < 0)
				refuse(err.message);
			setenv("LASTCALL_SIGNALS", optarg, 1);
			break;
		}
		case OPT_HEALTH: {
			struct lc_health_addr h;
			if (lc_parse_health_addr(optarg, &h, "--health", &err) < 0)
				refuse(err.message);
			setenv("LASTCALL_HEALTH", optarg, 1);
			break;
		}
		case OPT_REPORT:
			if (!*optarg)
				refuse("--report: empty path (use - for stderr)");
			setenv("LASTCALL_REPORT", optarg, 1);
			break;
		case 'v':
			verbosity++;
			break;
		case 'q':
			verbosity--;
			break;
		case OPT_VERSION:
			printf("lastcall %s\n", LASTCALL_VERSION);
			return 0;
		case OPT_HELP:
			usage(stdout);
			return 0;
		case ':': {
			char message[128];
			snprintf(message, sizeof message, "option %s needs a value", argv[optind - 1]);
			refuse(message);
			break;
		}
		default: {
			char message[160];
			snprintf(message, sizeof message, "unknown option %s (see lastcall --help)",
				 argv[optind - 1]);
			refuse(message);
		}
		}
	}
	if (verbosity != 0) {
		enum lc_log_level level = LC_LOG_INFO;
		const char *from_env = getenv("LASTCALL_LOG");
		if (from_env && lc_parse_log_level(from_env, &level, "LASTCALL_LOG", &err) < 0)
			refuse(err.message);
		int wanted = (int)level + verbosity;
		wanted = wanted < LC_LOG_ERROR ? LC_LOG_ERROR : wanted > LC_LOG_DEBUG ? LC_LOG_DEBUG : wanted;
		static const char *names[] = {"error", "warn", "info", "debug"};
		setenv("LASTCALL_LOG", names[wanted], 1);
	}

	/* The whole configuration, exactly as the library will check it. */
	struct lc_config cfg;
	if (lc_config_from_env(&cfg, launcher_getenv, &err) < 0)
		refuse(err.message);
	if (cfg.health.enabled)
		check_health_bindable(&cfg.health);

	if (optind >= argc) {
		fprintf(stderr, "lastcall: no program given\n");
		usage(stderr);
		return 2;
	}

	char library[PATH_MAX];
	if (find_library(library, sizeof library) < 0) {
		fprintf(stderr, "lastcall: cannot find %s next to the launcher or in ../lib "
				"(set LASTCALL_LIBRARY)\n",
			LIBRARY_NAME);
		return 125;
	}
	prepend_preload(library);
	/* The library runs this binary for stack traces at a deadline. */
	char self[PATH_MAX];
	ssize_t self_len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (self_len > 0) {
		self[self_len] = '\0';
		setenv("LASTCALL_HELPER", self, 1);
	}
	warn_unreachable(argv[optind]);

	execvp(argv[optind], argv + optind);
	int e = errno;
	fprintf(stderr, "lastcall: cannot run %s: %s\n", argv[optind], strerror(e));
	return e == ENOENT ? 127 : 126;
}
