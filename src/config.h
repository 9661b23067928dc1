/*
 * Worker configuration: one table of settings read once at start-up from the
 * environment (and an optional KEY=VALUE file named by TCCHAT_CONFIG_FILE).
 */
#ifndef TCCHAT_CONFIG_H
#define TCCHAT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

enum jwt_algorithm {
	JWT_ALGORITHM_HS256,
	JWT_ALGORITHM_RS256,
	JWT_ALGORITHM_ES256,
	JWT_ALGORITHM__MAX
};

extern const char *const jwt_algorithm_names[JWT_ALGORITHM__MAX];

struct config {
	char *database_url;          /* libpq conninfo */
	enum jwt_algorithm jwt_algorithm;
	char *jwt_secret;            /* HS256 shared secret */
	char *jwt_public_key_file;   /* RS256/ES256 PEM public key */
	char *jwt_issuer;            /* NULL: iss not checked */
	char *jwt_audience;          /* NULL: aud not checked */
	long jwt_leeway_seconds;
	long body_limit_bytes;
	int log_level;               /* enum log_level */
	long statement_timeout_ms;
	long db_connect_timeout_seconds;
	char *metrics_file;          /* the shared metrics table; NULL: per worker */
};

/*
 * Fills `config` from the environment (variables win over the file).
 * Returns false and writes a sentence naming the bad setting into `error`
 * when a setting is missing, malformed or contradicts another.
 */
bool config_load(struct config *config, char *error, size_t error_size);
void config_free(struct config *config);

#endif
