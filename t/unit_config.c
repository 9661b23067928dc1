/*
 * Unit tests: the worker's configuration (src/config.c). Each Criterion test
 * runs in a process of its own, so each sets the environment it needs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "config.h"
#include "log.h"

#define SECRET "0123456789abcdef0123456789abcdef"

static void environment_minimal(void)
{
	setenv("TCCHAT_DATABASE_URL", "host=/run/postgresql dbname=tcchat", 1);
	setenv("TCCHAT_JWT_SECRET", SECRET, 1);
}

/* Loads the configuration, expecting failure, and returns the message. */
static const char *load_fails(void)
{
	static char error[512];
	struct config config;
	cr_assert_not(config_load(&config, error, sizeof error), "the configuration was accepted");
	return error;
}

Test(config, defaults_fill_what_the_environment_leaves_unset)
{
	struct config config;
	char error[512];
	environment_minimal();
	cr_assert(config_load(&config, error, sizeof error), "%s", error);
	cr_expect_eq(config.jwt_algorithm, JWT_ALGORITHM_HS256);
	cr_expect_eq(config.jwt_leeway_seconds, 30);
	cr_expect_eq(config.body_limit_bytes, 65536);
	cr_expect_eq(config.log_level, LOG_LEVEL_INFO);
	cr_expect_eq(config.statement_timeout_ms, 5000);
	cr_expect_eq(config.db_connect_timeout_seconds, 2);
	cr_expect_null(config.jwt_issuer);
	cr_expect_null(config.metrics_file);
	config_free(&config);
}

Test(config, a_missing_database_url_is_named)
{
	setenv("TCCHAT_JWT_SECRET", SECRET, 1);
	cr_expect_not_null(strstr(load_fails(), "TCCHAT_DATABASE_URL"));
}

Test(config, hs256_needs_a_secret_of_32_bytes)
{
	environment_minimal();
	setenv("TCCHAT_JWT_SECRET", "short", 1);
	cr_expect_not_null(strstr(load_fails(), "TCCHAT_JWT_SECRET"));
}

Test(config, a_secret_and_a_public_key_contradict_each_other)
{
	environment_minimal();
	setenv("TCCHAT_JWT_PUBLIC_KEY_FILE", "/etc/tcchat/key.pem", 1);
	cr_expect_not_null(strstr(load_fails(), "TCCHAT_JWT_PUBLIC_KEY_FILE"));
}

Test(config, rs256_needs_a_public_key_file_and_no_secret)
{
	environment_minimal();
	setenv("TCCHAT_JWT_ALGORITHM", "RS256", 1);
	cr_expect_not_null(strstr(load_fails(), "TCCHAT_JWT_SECRET"));
	unsetenv("TCCHAT_JWT_SECRET");
	cr_expect_not_null(strstr(load_fails(), "TCCHAT_JWT_PUBLIC_KEY_FILE"));
}

Test(config, malformed_values_are_named)
{
	static const struct {
		const char *name, *value;
	} cases[] = {
		{"TCCHAT_JWT_ALGORITHM", "none"},
		{"TCCHAT_JWT_ALGORITHM", "hs256"},
		{"TCCHAT_JWT_LEEWAY", "-1"},
		{"TCCHAT_JWT_LEEWAY", "30s"},
		{"TCCHAT_BODY_LIMIT", "12"},
		{"TCCHAT_BODY_LIMIT", ""},
		{"TCCHAT_LOG_LEVEL", "verbose"},
		{"TCCHAT_STATEMENT_TIMEOUT_MS", "0"},
		{"TCCHAT_DB_CONNECT_TIMEOUT", "99999999999999999999"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		environment_minimal();
		setenv(cases[i].name, cases[i].value, 1);
		cr_expect_not_null(strstr(load_fails(), cases[i].name), "%s=%s", cases[i].name, cases[i].value);
		unsetenv(cases[i].name);
	}
}

/* Writes `text` to a new temporary file and names it in TCCHAT_CONFIG_FILE. */
static void config_file(const char *text)
{
	char path[] = "/tmp/tcchat-config-XXXXXX";
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	setenv("TCCHAT_CONFIG_FILE", path, 1);
}

Test(config, a_file_supplies_what_the_environment_does_not)
{
	struct config config;
	char error[512];
	config_file("# comment\n\nTCCHAT_DATABASE_URL=\"host=/tmp dbname=x\"\n"
		    "TCCHAT_JWT_SECRET=" SECRET "\nTCCHAT_LOG_LEVEL = debug\nTCCHAT_JWT_LEEWAY=5\n");
	setenv("TCCHAT_JWT_LEEWAY", "7", 1);
	cr_assert(config_load(&config, error, sizeof error), "%s", error);
	unlink(getenv("TCCHAT_CONFIG_FILE"));
	cr_expect_str_eq(config.database_url, "host=/tmp dbname=x");
	cr_expect_eq(config.log_level, LOG_LEVEL_DEBUG);
	cr_expect_eq(config.jwt_leeway_seconds, 7, "the environment wins over the file");
	config_free(&config);
}

Test(config, a_file_with_an_unknown_setting_or_no_equals_sign_is_refused)
{
	environment_minimal();
	config_file("TCCHAT_UNKNOWN=1\n");
	cr_expect_not_null(strstr(load_fails(), "TCCHAT_UNKNOWN"));
	unlink(getenv("TCCHAT_CONFIG_FILE"));
	config_file("TCCHAT_LOG_LEVEL\n");
	cr_expect_not_null(strstr(load_fails(), "KEY=VALUE"));
	unlink(getenv("TCCHAT_CONFIG_FILE"));
}

Test(config, an_unreadable_file_is_named)
{
	environment_minimal();
	setenv("TCCHAT_CONFIG_FILE", "/nonexistent/tcchat.env", 1);
	cr_expect_not_null(strstr(load_fails(), "TCCHAT_CONFIG_FILE"));
}
