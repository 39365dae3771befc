/* The whole configuration from the environment: defaults, derived drain
 * timeout, and every contradiction refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>

#include "base/config.h"

#define S 1000000000LL

static const char *vars[16][2];

static const char *fake_getenv(const char *name)
{
	for (int i = 0; i < 16 && vars[i][0]; i++)
		if (strcmp(vars[i][0], name) == 0)
			return vars[i][1];
	return NULL;
}

static int load(struct lc_config *cfg, struct lc_config_error *err, const char *const *pairs)
{
	memset(vars, 0, sizeof vars);
	for (int i = 0; pairs && pairs[2 * i]; i++) {
		vars[i][0] = pairs[2 * i];
		vars[i][1] = pairs[2 * i + 1];
	}
	return lc_config_from_env(cfg, fake_getenv, err);
}

static void defaults_match_the_spec(void **state)
{
	(void)state;
	struct lc_config cfg;
	struct lc_config_error err;
	assert_int_equal(load(&cfg, &err, NULL), 0);
	assert_int_equal(cfg.timeout_ns, 25 * S);
	assert_int_equal(cfg.cleanup_timeout_ns, 5 * S);
	assert_int_equal(cfg.drain_timeout_ns, 20 * S);
	assert_int_equal(cfg.delay_ns, 0);
	assert_int_equal(cfg.log_level, LC_LOG_INFO);
	assert_false(cfg.health.enabled);
	assert_string_equal(cfg.report_path, "");
}

static void short_total_scales_the_default_cleanup(void **state)
{
	(void)state;
	struct lc_config cfg;
	struct lc_config_error err;
	const char *pairs[] = {"LASTCALL_TIMEOUT", "8s", NULL};
	assert_int_equal(load(&cfg, &err, pairs), 0);
	assert_int_equal(cfg.cleanup_timeout_ns, 8 * S / 5);
	assert_int_equal(cfg.drain_timeout_ns, 8 * S - 8 * S / 5);
	const char *longer[] = {"LASTCALL_TIMEOUT", "60s", NULL};
	assert_int_equal(load(&cfg, &err, longer), 0);
	assert_int_equal(cfg.cleanup_timeout_ns, 5 * S);
	assert_int_equal(cfg.drain_timeout_ns, 55 * S);
}

static void explicit_values_are_kept(void **state)
{
	(void)state;
	struct lc_config cfg;
	struct lc_config_error err;
	const char *pairs[] = {"LASTCALL_TIMEOUT", "3s", "LASTCALL_CLEANUP_TIMEOUT", "1s",
			       "LASTCALL_DELAY", "500ms", "LASTCALL_LOG", "debug", NULL};
	assert_int_equal(load(&cfg, &err, pairs), 0);
	assert_int_equal(cfg.drain_timeout_ns, 2 * S);
	assert_int_equal(cfg.delay_ns, S / 2);
	assert_int_equal(cfg.log_level, LC_LOG_DEBUG);
}

static void contradictions_are_refused(void **state)
{
	(void)state;
	struct lc_config cfg;
	struct lc_config_error err;
	const char *drain_over[] = {"LASTCALL_DRAIN_TIMEOUT", "30s", NULL};
	assert_int_equal(load(&cfg, &err, drain_over), -1);
	assert_non_null(strstr(err.message, "LASTCALL_DRAIN_TIMEOUT"));
	const char *cleanup_over[] = {"LASTCALL_TIMEOUT", "5s", "LASTCALL_CLEANUP_TIMEOUT", "6s", NULL};
	assert_int_equal(load(&cfg, &err, cleanup_over), -1);
	assert_non_null(strstr(err.message, "LASTCALL_CLEANUP_TIMEOUT"));
	const char *sum_over[] = {"LASTCALL_TIMEOUT", "10s", "LASTCALL_DRAIN_TIMEOUT", "8s",
				  "LASTCALL_CLEANUP_TIMEOUT", "5s", NULL};
	assert_int_equal(load(&cfg, &err, sum_over), -1);
	const char *delay_over[] = {"LASTCALL_DELAY", "20s", NULL};
	assert_int_equal(load(&cfg, &err, delay_over), -1);
	assert_non_null(strstr(err.message, "LASTCALL_DELAY"));
	const char *zero[] = {"LASTCALL_TIMEOUT", "0", NULL};
	assert_int_equal(load(&cfg, &err, zero), -1);
	const char *drain_only[] = {"LASTCALL_TIMEOUT", "10s", "LASTCALL_DRAIN_TIMEOUT", "9s", NULL};
	assert_int_equal(load(&cfg, &err, drain_only), 0); /* the default cleanup yields */
}

static void health_addresses(void **state)
{
	(void)state;
	struct lc_health_addr h;
	struct lc_config_error err;
	assert_int_equal(lc_parse_health_addr(":8081", &h, "--health", &err), 0);
	assert_int_equal(h.family, AF_INET);
	assert_int_equal(h.port, 8081);
	assert_int_equal(((struct sockaddr_in *)&h.addr)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_int_equal(lc_parse_health_addr("[::1]:9000", &h, "--health", &err), 0);
	assert_int_equal(h.family, AF_INET6);
	assert_int_equal(lc_parse_health_addr("0.0.0.0:1", &h, "--health", &err), 0);
	const char *bad[] = {"", "8081", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "host:80",
			     "[::1]", "[::1:80", "1.2.3:80", "127.0.0.1:80x", "127.0.0.1:-1"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(lc_parse_health_addr(bad[i], &h, "--health", &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_match_the_spec),
		cmocka_unit_test(short_total_scales_the_default_cleanup),
		cmocka_unit_test(explicit_values_are_kept),
		cmocka_unit_test(contradictions_are_refused),
		cmocka_unit_test(health_addresses),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
