/*
 * Bearer token verification (API.md section 2). libjwt 1.10 checks only
 * signatures, and it takes the algorithm from the token's own header, so this
 * file pins the configured algorithm before libjwt sees the token and checks
 * every claim itself, with json-c, on the payload bytes that were signed.
 * Nothing here logs: a rejection reports through the return value and a short
 * static phrase that never contains the token.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "auth.h"
#include "base64url.h"
#include "token_cache.h"
#include "json_strict.h"
#include "ids.h"

const char *const role_names[ROLE__MAX] = {
	[ROLE_THERAPIST] = "therapist",
	[ROLE_PATIENT] = "patient",
	[ROLE_ADMIN] = "admin",
};

/* Longest token looked at; anything longer is rejected unread. */
#define AUTH_TOKEN_MAX 8192
/* Largest decoded header or payload a token of AUTH_TOKEN_MAX can carry. */
#define AUTH_SEGMENT_MAX (AUTH_TOKEN_MAX / 4 * 3 + 3)
/* Largest public key file read at start-up. */
#define AUTH_KEY_FILE_MAX (64 * 1024)
/* Smallest RSA modulus accepted for RS256. */
#define AUTH_RSA_BITS_MIN 2048

/* The header "alg" and the libjwt algorithm for each configured algorithm. */
static const struct {
	const char *name;
	jwt_alg_t libjwt_algorithm;
} algorithms[JWT_ALGORITHM__MAX] = {
	[JWT_ALGORITHM_HS256] = { "HS256", JWT_ALG_HS256 },
	[JWT_ALGORITHM_RS256] = { "RS256", JWT_ALG_RS256 },
	[JWT_ALGORITHM_ES256] = { "ES256", JWT_ALG_ES256 },
};

struct auth_keys {
	struct token_cache verified;  /* tokens this worker has verified */
	enum jwt_algorithm algorithm;
	unsigned char *key;      /* HS256 secret or PEM public key bytes */
	size_t key_length;
	char *issuer;            /* NULL: iss not checked */
	char *audience;          /* NULL: aud not checked */
	int64_t leeway_seconds;
};

/* ------------------------------------------------------------------------
 * Start-up: keys and claim rules
 * ------------------------------------------------------------------------ */

static void error_set(char *error, size_t error_size, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

static void error_set(char *error, size_t error_size, const char *format, ...)
{
	va_list arguments;

	if (error == NULL || error_size == 0)
		return;
	va_start(arguments, format);
	vsnprintf(error, error_size, format, arguments);
	va_end(arguments);
}

/* Reads a whole file of at most AUTH_KEY_FILE_MAX bytes into a new buffer. */
static bool key_file_read(const char *path, struct auth_keys *keys, char *error, size_t error_size)
{
	bool ok = false;
	FILE *file = NULL;
	unsigned char *data = NULL;
	size_t length;

	file = fopen(path, "rb");
	if (file == NULL) {
		error_set(error, error_size, "TCCHAT_JWT_PUBLIC_KEY_FILE (%s) cannot be opened: %s.",
			  path, strerror(errno));
		goto done;
	}
	data = malloc(AUTH_KEY_FILE_MAX + 1);
	if (data == NULL) {
		error_set(error, error_size, "Out of memory reading TCCHAT_JWT_PUBLIC_KEY_FILE.");
		goto done;
	}
	length = fread(data, 1, AUTH_KEY_FILE_MAX + 1, file);
	if (ferror(file)) {
		error_set(error, error_size, "TCCHAT_JWT_PUBLIC_KEY_FILE (%s) cannot be read.", path);
		goto done;
	}
	if (length == 0) {
		error_set(error, error_size, "TCCHAT_JWT_PUBLIC_KEY_FILE (%s) is empty.", path);
		goto done;
	}
	if (length > AUTH_KEY_FILE_MAX) {
		error_set(error, error_size,
			  "TCCHAT_JWT_PUBLIC_KEY_FILE (%s) is larger than %d bytes; it should hold one PEM public key.",
			  path, AUTH_KEY_FILE_MAX);
		goto done;
	}
	data[length] = '\0';
	keys->key = data;
	keys->key_length = length;
	data = NULL;
	ok = true;
done:
	free(data);
	if (file != NULL)
		fclose(file);
	return ok;
}

/*
 * Checks that the key file holds one public key that suits the configured
 * algorithm, so that a wrong file stops start-up instead of failing every
 * request as "bad signature". Never prints key material.
 */
static bool key_check(const struct auth_keys *keys, const char *path, char *error, size_t error_size)
{
	bool ok = false;
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	const char *name = algorithms[keys->algorithm].name;
	char group[64];
	size_t group_length = 0;

	if (memmem(keys->key, keys->key_length, "PRIVATE KEY", 11) != NULL) {
		error_set(error, error_size,
			  "TCCHAT_JWT_PUBLIC_KEY_FILE (%s) holds a private key; give the worker the public key only.",
			  path);
		goto done;
	}
	bio = BIO_new_mem_buf(keys->key, (int)keys->key_length);
	if (bio == NULL) {
		error_set(error, error_size, "Out of memory checking TCCHAT_JWT_PUBLIC_KEY_FILE.");
		goto done;
	}
	key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (key == NULL) {
		error_set(error, error_size,
			  "TCCHAT_JWT_PUBLIC_KEY_FILE (%s) holds no PEM public key (-----BEGIN PUBLIC KEY-----).",
			  path);
		goto done;
	}
	if (keys->algorithm == JWT_ALGORITHM_RS256) {
		if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
			error_set(error, error_size,
				  "TCCHAT_JWT_PUBLIC_KEY_FILE (%s) is not an RSA public key, which %s needs.",
				  path, name);
			goto done;
		}
		if (EVP_PKEY_get_bits(key) < AUTH_RSA_BITS_MIN) {
			error_set(error, error_size,
				  "TCCHAT_JWT_PUBLIC_KEY_FILE (%s) is an RSA key of %d bits; %s needs at least %d.",
				  path, EVP_PKEY_get_bits(key), name, AUTH_RSA_BITS_MIN);
			goto done;
		}
	} else {
		if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC
		    || EVP_PKEY_get_group_name(key, group, sizeof(group), &group_length) != 1
		    || (strcmp(group, "prime256v1") != 0 && strcmp(group, "P-256") != 0)) {
			error_set(error, error_size,
				  "TCCHAT_JWT_PUBLIC_KEY_FILE (%s) is not an EC P-256 public key, which %s needs.",
				  path, name);
			goto done;
		}
	}
	ok = true;
done:
	EVP_PKEY_free(key);
	BIO_free(bio);
	ERR_clear_error();
	return ok;
}

/* Copies a configured claim value; NULL and "" both mean "not checked". */
static bool setting_copy(const char *value, char **copy)
{
	*copy = NULL;
	if (value == NULL || value[0] == '\0')
		return true;
	*copy = strdup(value);
	return *copy != NULL;
}

struct auth_keys *auth_keys_new(const struct config *config, char *error, size_t error_size)
{
	struct auth_keys *keys = NULL;
	const char *path;

	if (config == NULL || (unsigned)config->jwt_algorithm >= JWT_ALGORITHM__MAX) {
		error_set(error, error_size, "TCCHAT_JWT_ALGORITHM must be HS256, RS256 or ES256.");
		goto failed;
	}
	if (config->jwt_leeway_seconds < 0) {
		error_set(error, error_size, "TCCHAT_JWT_LEEWAY must not be negative.");
		goto failed;
	}
	keys = calloc(1, sizeof(*keys));
	if (keys == NULL) {
		error_set(error, error_size, "Out of memory loading the token keys.");
		goto failed;
	}
	keys->algorithm = config->jwt_algorithm;
	keys->leeway_seconds = config->jwt_leeway_seconds;

	if (keys->algorithm == JWT_ALGORITHM_HS256) {
		if (config->jwt_secret == NULL || config->jwt_secret[0] == '\0') {
			error_set(error, error_size,
				  "TCCHAT_JWT_SECRET is not set; HS256 needs the shared secret.");
			goto failed;
		}
		keys->key_length = strlen(config->jwt_secret);
		keys->key = malloc(keys->key_length + 1);
		if (keys->key == NULL) {
			error_set(error, error_size, "Out of memory loading the token keys.");
			goto failed;
		}
		memcpy(keys->key, config->jwt_secret, keys->key_length + 1);
	} else {
		path = config->jwt_public_key_file;
		if (path == NULL || path[0] == '\0') {
			error_set(error, error_size,
				  "TCCHAT_JWT_PUBLIC_KEY_FILE is not set; %s needs a PEM public key file.",
				  algorithms[keys->algorithm].name);
			goto failed;
		}
		if (!key_file_read(path, keys, error, error_size))
			goto failed;
		if (!key_check(keys, path, error, error_size))
			goto failed;
	}
	if (keys->key_length > INT_MAX) {
		error_set(error, error_size, "TCCHAT_JWT_SECRET is too long.");
		goto failed;
	}

	if (!setting_copy(config->jwt_issuer, &keys->issuer)
	    || !setting_copy(config->jwt_audience, &keys->audience)) {
		error_set(error, error_size, "Out of memory loading the token keys.");
		goto failed;
	}
	return keys;

failed:
	auth_keys_free(keys);
	return NULL;
}

void auth_keys_free(struct auth_keys *keys)
{
	if (keys == NULL)
		return;
	if (keys->key != NULL) {
		/* The secret should not outlive its use in freed memory. */
		volatile unsigned char *byte = keys->key;
		for (size_t i = 0; i < keys->key_length; i++)
			byte[i] = 0;
	}
	token_cache_clear(&keys->verified);
	free(keys->key);
	free(keys->issuer);
	free(keys->audience);
	free(keys);
}

/* ------------------------------------------------------------------------
 * Token syntax: the Authorization header, base64url, JSON segments
 * ------------------------------------------------------------------------ */

/*
 * Finds the token in "Bearer <token>": the scheme is case-insensitive and
 * followed by one or more spaces; surrounding blanks are ignored.
 */
static enum auth_result bearer_extract(const char *authorization, const char **token,
				       size_t *length, const char **why)
{
	const char *start = authorization;
	size_t end;

	if (authorization == NULL) {
		*why = "no Authorization header";
		return AUTH_MISSING;
	}
	while (*start == ' ' || *start == '\t')
		start++;
	if (strncasecmp(start, "Bearer", 6) != 0 || (start[6] != ' ' && start[6] != '\0')) {
		*why = "not a Bearer scheme";
		return AUTH_MISSING;
	}
	start += 6;
	while (*start == ' ')
		start++;
	end = strlen(start);
	while (end > 0 && (start[end - 1] == ' ' || start[end - 1] == '\t'))
		end--;
	if (end == 0) {
		*why = "empty token";
		return AUTH_INVALID;
	}
	if (end > AUTH_TOKEN_MAX) {
		*why = "token too long";
		return AUTH_INVALID;
	}
	*token = start;
	*length = end;
	return AUTH_OK;
}

/* Decodes one token segment into a JSON object, or NULL if it is not one. */
static json_object *segment_decode_object(const char *text, size_t length)
{
	unsigned char bytes[AUTH_SEGMENT_MAX];
	size_t byte_count = 0;
	json_object *object = NULL;

	if (base64url_decode(text, length, bytes, sizeof(bytes), &byte_count))
		object = json_strict_parse((const char *)bytes, byte_count);
	if (!json_object_is_type(object, json_type_object)) {
		json_object_put(object);
		return NULL;
	}
	return object;
}

/* A JSON string equal to `expected`, with no NUL hidden inside. */
static bool json_string_equals(json_object *value, const char *expected)
{
	const char *text;

	if (!json_object_is_type(value, json_type_string))
		return false;
	text = json_object_get_string(value);
	return (size_t)json_object_get_string_len(value) == strlen(expected)
	       && strcmp(text, expected) == 0;
}

/* ------------------------------------------------------------------------
 * Claims
 * ------------------------------------------------------------------------ */

enum claim_state {
	CLAIM_ABSENT,
	CLAIM_PRESENT,
	CLAIM_MALFORMED
};

/*
 * Reads a NumericDate claim as whole seconds, rounded up (a token valid
 * until 100.5 is valid at 100 and not at 101) and clamped to int64_t.
 */
static enum claim_state claim_time(json_object *claims, const char *name, int64_t *seconds)
{
	json_object *value;
	double real;
	int64_t whole;

	if (!json_object_object_get_ex(claims, name, &value))
		return CLAIM_ABSENT;
	switch (json_object_get_type(value)) {
	case json_type_int:
		/* json-c saturates integers beyond int64_t, which is harmless for times. */
		*seconds = json_object_get_int64(value);
		return CLAIM_PRESENT;
	case json_type_double:
		real = json_object_get_double(value);
		if (!isfinite(real))
			return CLAIM_MALFORMED;
		if (real >= 9.2e18)
			whole = INT64_MAX;
		else if (real <= -9.2e18)
			whole = INT64_MIN;
		else {
			whole = (int64_t)real;
			if ((double)whole < real)
				whole++;
		}
		*seconds = whole;
		return CLAIM_PRESENT;
	default:
		return CLAIM_MALFORMED;
	}
}

static int64_t seconds_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

/* Also gives the span of time, leeway included, in which these claims
 * pass: from `*valid_from` (inclusive) to `*valid_until` (exclusive). */
static bool claims_check_times(const struct auth_keys *keys, json_object *claims, time_t now,
			       int64_t *valid_from, int64_t *valid_until, const char **why)
{
	int64_t exp, nbf, iat;
	int64_t latest = seconds_add((int64_t)now, keys->leeway_seconds);
	*valid_from = INT64_MIN;

	switch (claim_time(claims, "exp", &exp)) {
	case CLAIM_ABSENT:
		*why = "missing exp";
		return false;
	case CLAIM_MALFORMED:
		*why = "exp not a number";
		return false;
	case CLAIM_PRESENT:
		if ((int64_t)now >= seconds_add(exp, keys->leeway_seconds)) {
			*why = "expired";
			return false;
		}
		*valid_until = seconds_add(exp, keys->leeway_seconds);
		break;
	}
	switch (claim_time(claims, "nbf", &nbf)) {
	case CLAIM_ABSENT:
		break;
	case CLAIM_MALFORMED:
		*why = "nbf not a number";
		return false;
	case CLAIM_PRESENT:
		if (nbf > latest) {
			*why = "not yet valid";
			return false;
		}
		if (seconds_add(nbf, -keys->leeway_seconds) > *valid_from)
			*valid_from = seconds_add(nbf, -keys->leeway_seconds);
		break;
	}
	switch (claim_time(claims, "iat", &iat)) {
	case CLAIM_ABSENT:
		break;
	case CLAIM_MALFORMED:
		*why = "iat not a number";
		return false;
	case CLAIM_PRESENT:
		if (iat > latest) {
			*why = "issued in the future";
			return false;
		}
		if (seconds_add(iat, -keys->leeway_seconds) > *valid_from)
			*valid_from = seconds_add(iat, -keys->leeway_seconds);
		break;
	}
	return true;
}

/* aud is one string or an array of strings; one of them must match. */
static bool claims_audience_matches(json_object *claims, const char *audience)
{
	json_object *value;
	bool found = false;

	if (!json_object_object_get_ex(claims, "aud", &value))
		return false;
	if (json_object_is_type(value, json_type_string))
		return json_string_equals(value, audience);
	if (!json_object_is_type(value, json_type_array))
		return false;
	for (size_t i = 0; i < json_object_array_length(value); i++) {
		json_object *element = json_object_array_get_idx(value, i);
		if (!json_object_is_type(element, json_type_string))
			return false;
		if (json_string_equals(element, audience))
			found = true;
	}
	return found;
}

static bool claims_check_context(const struct auth_keys *keys, json_object *claims,
				 const char **why)
{
	json_object *value;

	if (keys->issuer != NULL
	    && (!json_object_object_get_ex(claims, "iss", &value)
		|| !json_string_equals(value, keys->issuer))) {
		*why = "wrong issuer";
		return false;
	}
	if (keys->audience != NULL && !claims_audience_matches(claims, keys->audience)) {
		*why = "wrong audience";
		return false;
	}
	if (json_object_object_get_ex(claims, "token_type", &value)
	    && !json_string_equals(value, "access")) {
		*why = "not an access token";
		return false;
	}
	return true;
}

/* The id from user_id, else sub: a string, or an integer as its decimal form. */
static bool claims_user_id(json_object *claims, char id[IDENTITY_ID_MAX + 1], const char **why)
{
	json_object *value;
	const char *text;
	size_t length;
	int64_t number;

	if (!json_object_object_get_ex(claims, "user_id", &value)
	    && !json_object_object_get_ex(claims, "sub", &value)) {
		*why = "missing user id";
		return false;
	}
	switch (json_object_get_type(value)) {
	case json_type_string:
		text = json_object_get_string(value);
		length = (size_t)json_object_get_string_len(value);
		if (length == 0 || length > IDENTITY_ID_MAX || strlen(text) != length) {
			*why = "malformed user id";
			return false;
		}
		memcpy(id, text, length + 1);
		return true;
	case json_type_int:
		/* json-c saturates out-of-range integers: refuse rather than guess. */
		number = json_object_get_int64(value);
		if (number == INT64_MAX || number == INT64_MIN) {
			*why = "malformed user id";
			return false;
		}
		snprintf(id, IDENTITY_ID_MAX + 1, "%" PRId64, number);
		return true;
	default:
		*why = "malformed user id";
		return false;
	}
}

/* The role claim, else the id's prefix; the id must have that role's form. */
static bool claims_role(json_object *claims, const char *id, enum role *role, const char **why)
{
	static bool (*const id_valid[ROLE__MAX])(const char *) = {
		[ROLE_THERAPIST] = id_is_therapist,
		[ROLE_PATIENT] = id_is_patient,
		[ROLE_ADMIN] = id_is_admin,
	};
	json_object *value;
	int found = -1;

	if (json_object_object_get_ex(claims, "role", &value)) {
		for (int i = 0; i < ROLE__MAX; i++)
			if (json_string_equals(value, role_names[i]))
				found = i;
		if (found < 0) {
			*why = "unknown role";
			return false;
		}
	} else if (strncmp(id, "t_", 2) == 0) {
		found = ROLE_THERAPIST;
	} else if (strncmp(id, "p_", 2) == 0) {
		found = ROLE_PATIENT;
	} else {
		*why = "no role claim and no role prefix";
		return false;
	}
	if (!id_valid[found](id)) {
		*why = "id does not fit the role";
		return false;
	}
	*role = (enum role)found;
	return true;
}

/* ------------------------------------------------------------------------
 * Verification
 * ------------------------------------------------------------------------ */

enum auth_result auth_verify_bearer(struct auth_keys *keys, const char *authorization,
				    time_t now, struct identity *identity, const char **reason)
{
	enum auth_result result;
	const char *why = "invalid token";
	const char *start = NULL;
	size_t length = 0;
	size_t dots[2];
	size_t dot_count = 0;
	char token[AUTH_TOKEN_MAX + 1];
	json_object *header = NULL;
	json_object *claims = NULL;
	json_object *value;
	jwt_t *jwt = NULL;
	struct identity found;
	int64_t valid_from = 0, valid_until = 0;

	memset(&found, 0, sizeof(found));
	result = bearer_extract(authorization, &start, &length, &why);
	if (result != AUTH_OK)
		goto done;
	result = AUTH_INVALID;
	if (keys == NULL || identity == NULL) {
		why = "verifier not configured";
		goto done;
	}
	if (token_cache_lookup(&keys->verified, start, length, (int64_t)now, &found)) {
		result = AUTH_OK;
		why = "ok (verified before)";
		goto done;
	}

	/* Exactly three non-empty base64url parts. */
	for (size_t i = 0; i < length; i++) {
		if (start[i] == '.') {
			if (dot_count == 2) {
				dot_count++;
				break;
			}
			dots[dot_count++] = i;
		} else if (!base64url_is_digit(start[i])) {
			why = "malformed token";
			goto done;
		}
	}
	if (dot_count != 2 || dots[0] == 0 || dots[1] == dots[0] + 1 || dots[1] + 1 == length) {
		why = "malformed token";
		goto done;
	}
	memcpy(token, start, length);
	token[length] = '\0';

	/* Pin the algorithm before libjwt chooses one from the header. */
	header = segment_decode_object(token, dots[0]);
	if (header == NULL) {
		why = "malformed header";
		goto done;
	}
	if (!json_object_object_get_ex(header, "alg", &value)
	    || !json_string_equals(value, algorithms[keys->algorithm].name)) {
		why = "algorithm not allowed";
		goto done;
	}
	if (json_object_object_get_ex(header, "crit", NULL)) {
		why = "critical header not supported";
		goto done;
	}
	claims = segment_decode_object(token + dots[0] + 1, dots[1] - dots[0] - 1);
	if (claims == NULL) {
		why = "malformed payload";
		goto done;
	}

	if (jwt_decode(&jwt, token, keys->key, (int)keys->key_length) != 0 || jwt == NULL) {
		why = "bad signature";
		goto done;
	}
	if (jwt_get_alg(jwt) != algorithms[keys->algorithm].libjwt_algorithm) {
		why = "algorithm not allowed";
		goto done;
	}

	if (!claims_check_times(keys, claims, now, &valid_from, &valid_until, &why)
	    || !claims_check_context(keys, claims, &why)
	    || !claims_user_id(claims, found.id, &why)
	    || !claims_role(claims, found.id, &found.role, &why))
		goto done;

	token_cache_store(&keys->verified, start, length, &found, valid_from, valid_until);
	result = AUTH_OK;
	why = "ok";
done:
	jwt_free(jwt);
	json_object_put(header);
	json_object_put(claims);
	if (identity != NULL) {
		if (result == AUTH_OK)
			*identity = found;
		else
			memset(identity, 0, sizeof(*identity));
	}
	if (reason != NULL)
		*reason = why;
	return result;
}
