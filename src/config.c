/*
 * Worker configuration: every setting in one table (name, kind, default,
 * bounds), read once at start-up from the environment, or from the KEY=VALUE
 * file named by TCCHAT_CONFIG_FILE for what the environment does not set.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

const char *const jwt_algorithm_names[JWT_ALGORITHM__MAX] = {
	[JWT_ALGORITHM_HS256] = "HS256",
	[JWT_ALGORITHM_RS256] = "RS256",
	[JWT_ALGORITHM_ES256] = "ES256",
};

enum setting_kind { SETTING_STRING, SETTING_NUMBER, SETTING_ALGORITHM, SETTING_LOG_LEVEL };

struct setting {
	const char *name;
	enum setting_kind kind;
	const char *fallback;   /* NULL: unset unless given */
	long minimum, maximum;  /* for numbers */
	size_t offset;          /* into struct config */
};

#define FIELD(member) offsetof(struct config, member)

static const struct setting settings[] = {
	{"TCCHAT_DATABASE_URL", SETTING_STRING, NULL, 0, 0, FIELD(database_url)},
	{"TCCHAT_JWT_ALGORITHM", SETTING_ALGORITHM, "HS256", 0, 0, FIELD(jwt_algorithm)},
	{"TCCHAT_JWT_SECRET", SETTING_STRING, NULL, 0, 0, FIELD(jwt_secret)},
	{"TCCHAT_JWT_PUBLIC_KEY_FILE", SETTING_STRING, NULL, 0, 0, FIELD(jwt_public_key_file)},
	{"TCCHAT_JWT_ISSUER", SETTING_STRING, NULL, 0, 0, FIELD(jwt_issuer)},
	{"TCCHAT_JWT_AUDIENCE", SETTING_STRING, NULL, 0, 0, FIELD(jwt_audience)},
	{"TCCHAT_JWT_LEEWAY", SETTING_NUMBER, "30", 0, 300, FIELD(jwt_leeway_seconds)},
	{"TCCHAT_BODY_LIMIT", SETTING_NUMBER, "65536", 1024, 16 * 1024 * 1024, FIELD(body_limit_bytes)},
	{"TCCHAT_LOG_LEVEL", SETTING_LOG_LEVEL, "info", 0, 0, FIELD(log_level)},
	{"TCCHAT_STATEMENT_TIMEOUT_MS", SETTING_NUMBER, "5000", 1, 600000, FIELD(statement_timeout_ms)},
	{"TCCHAT_DB_CONNECT_TIMEOUT", SETTING_NUMBER, "2", 1, 60, FIELD(db_connect_timeout_seconds)},
	{"TCCHAT_METRICS_FILE", SETTING_STRING, NULL, 0, 0, FIELD(metrics_file)},
};

#define SETTING_COUNT (sizeof settings / sizeof settings[0])

/* The smallest HS256 secret accepted: RFC 7518 asks for a key at least as
 * long as the hash output. */
#define JWT_SECRET_MINIMUM 32

/* Values read from TCCHAT_CONFIG_FILE, indexed like `settings`. */
struct file_values {
	char *values[SETTING_COUNT];
};

static void file_values_free(struct file_values *file)
{
	for (size_t i = 0; i < SETTING_COUNT; i++)
		free(file->values[i]);
}

static char *trim(char *text)
{
	while (*text == ' ' || *text == '\t')
		text++;
	size_t length = strlen(text);
	while (length > 0 && strchr(" \t\r\n", text[length - 1]))
		text[--length] = '\0';
	return text;
}

/* Reads KEY=VALUE lines (blank lines and # comments allowed; values may be
 * wrapped in double quotes, as in a systemd EnvironmentFile). */
static bool file_values_read(struct file_values *file, const char *path, char *error, size_t error_size)
{
	FILE *stream = fopen(path, "r");
	if (stream == NULL) {
		snprintf(error, error_size, "TCCHAT_CONFIG_FILE: cannot open %s: %s", path, strerror(errno));
		return false;
	}
	char line[4096];
	int number = 0;
	bool ok = true;
	while (ok && fgets(line, sizeof line, stream) != NULL) {
		number++;
		char *text = trim(line);
		if (*text == '\0' || *text == '#')
			continue;
		char *equals = strchr(text, '=');
		if (equals == NULL) {
			snprintf(error, error_size, "%s line %d: expected KEY=VALUE", path, number);
			ok = false;
			break;
		}
		*equals = '\0';
		char *key = trim(text), *value = trim(equals + 1);
		size_t length = strlen(value);
		if (length >= 2 && value[0] == '"' && value[length - 1] == '"') {
			value[length - 1] = '\0';
			value++;
		}
		size_t i;
		for (i = 0; i < SETTING_COUNT; i++)
			if (strcmp(settings[i].name, key) == 0)
				break;
		if (i == SETTING_COUNT) {
			snprintf(error, error_size, "%s line %d: unknown setting %.64s", path, number, key);
			ok = false;
			break;
		}
		free(file->values[i]);
		file->values[i] = strdup(value);
	}
	fclose(stream);
	return ok;
}

static bool setting_apply(const struct setting *setting, const char *value, struct config *config,
			  char *error, size_t error_size)
{
	void *target = (char *)config + setting->offset;
	switch (setting->kind) {
	case SETTING_STRING:
		*(char **)target = value && *value ? strdup(value) : NULL;
		return true;
	case SETTING_NUMBER: {
		char *end;
		errno = 0;
		long number = strtol(value, &end, 10);
		if (errno || end == value || *end || number < setting->minimum || number > setting->maximum) {
			snprintf(error, error_size, "%s must be a whole number from %ld to %ld", setting->name,
				 setting->minimum, setting->maximum);
			return false;
		}
		*(long *)target = number;
		return true;
	}
	case SETTING_ALGORITHM:
		for (int i = 0; i < JWT_ALGORITHM__MAX; i++)
			if (strcmp(value, jwt_algorithm_names[i]) == 0) {
				*(enum jwt_algorithm *)target = (enum jwt_algorithm)i;
				return true;
			}
		snprintf(error, error_size, "%s must be HS256, RS256 or ES256", setting->name);
		return false;
	case SETTING_LOG_LEVEL:
		for (int i = 0; i < LOG_LEVEL__MAX; i++)
			if (strcmp(value, log_level_names[i]) == 0) {
				*(int *)target = i;
				return true;
			}
		snprintf(error, error_size, "%s must be error, warn, info or debug", setting->name);
		return false;
	}
	return false;
}

/* Settings that are each valid alone but not together. */
static bool config_check(const struct config *config, char *error, size_t error_size)
{
	if (config->database_url == NULL) {
		snprintf(error, error_size, "TCCHAT_DATABASE_URL is required (a libpq connection string)");
		return false;
	}
	if (config->jwt_algorithm == JWT_ALGORITHM_HS256) {
		if (config->jwt_public_key_file != NULL) {
			snprintf(error, error_size, "TCCHAT_JWT_PUBLIC_KEY_FILE is for RS256/ES256; "
				 "with HS256 set TCCHAT_JWT_SECRET alone");
			return false;
		}
		if (config->jwt_secret == NULL || strlen(config->jwt_secret) < JWT_SECRET_MINIMUM) {
			snprintf(error, error_size, "TCCHAT_JWT_SECRET is required with HS256 and must be "
				 "at least %d bytes", JWT_SECRET_MINIMUM);
			return false;
		}
	} else {
		if (config->jwt_secret != NULL) {
			snprintf(error, error_size, "TCCHAT_JWT_SECRET is for HS256; with %s set "
				 "TCCHAT_JWT_PUBLIC_KEY_FILE alone", jwt_algorithm_names[config->jwt_algorithm]);
			return false;
		}
		if (config->jwt_public_key_file == NULL) {
			snprintf(error, error_size, "TCCHAT_JWT_PUBLIC_KEY_FILE is required with %s",
				 jwt_algorithm_names[config->jwt_algorithm]);
			return false;
		}
	}
	return true;
}

bool config_load(struct config *config, char *error, size_t error_size)
{
	struct file_values file = {0};
	bool ok = false;
	*config = (struct config){0};
	const char *path = getenv("TCCHAT_CONFIG_FILE");
	if (path && *path && !file_values_read(&file, path, error, error_size))
		goto done;
	for (size_t i = 0; i < SETTING_COUNT; i++) {
		const char *value = getenv(settings[i].name);
		if (value == NULL)
			value = file.values[i];
		if (value == NULL)
			value = settings[i].fallback;
		if (value != NULL && !setting_apply(&settings[i], value, config, error, error_size))
			goto done;
	}
	ok = config_check(config, error, error_size);
done:
	file_values_free(&file);
	if (!ok)
		config_free(config);
	return ok;
}

void config_free(struct config *config)
{
	if (config == NULL)
		return;
	free(config->database_url);
	free(config->jwt_secret);
	free(config->jwt_public_key_file);
	free(config->jwt_issuer);
	free(config->jwt_audience);
	free(config->metrics_file);
	*config = (struct config){0};
}
