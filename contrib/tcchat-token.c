/*
 * tcchat-token: mints access tokens like the ones the service accepts
 * (API.md section 2), for development, benchmarks and the local run. Never
 * for production use: whoever holds the signing key can be anyone.
 *
 *   tcchat-token --user ID [--role therapist|patient|admin] [--ttl SECONDS]
 *                [--issuer S] [--audience S] [--algorithm HS256|RS256|ES256]
 *                [--key-file PEM]
 *
 * HS256 signs with the secret in TCCHAT_JWT_SECRET; RS256 and ES256 sign with
 * the private key in --key-file. Prints the token and a newline. Exit status:
 * 0 done, 1 the token could not be made, 2 usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <jwt.h>

#define TOKEN_EXIT_FAILURE 1
#define TOKEN_EXIT_USAGE 2
/* token_options_parse: --help was answered, stop successfully. */
#define TOKEN_HELP_SHOWN (-1)
#define TOKEN_ID_MAX 64
#define TOKEN_TTL_MAX (10L * 366 * 24 * 3600)
#define TOKEN_KEY_FILE_MAX (64 * 1024)
#define TOKEN_JTI_BYTES 16

static const char *const token_roles[] = { "therapist", "patient", "admin" };

static const struct {
	const char *name;
	jwt_alg_t algorithm;
} token_algorithms[] = {
	{ "HS256", JWT_ALG_HS256 },
	{ "RS256", JWT_ALG_RS256 },
	{ "ES256", JWT_ALG_ES256 },
};

struct token_options {
	const char *user;
	const char *role;           /* NULL: no role claim */
	long ttl_seconds;
	const char *issuer;         /* NULL: no iss claim */
	const char *audience;       /* NULL: no aud claim */
	jwt_alg_t algorithm;
	const char *key_file;       /* RS256/ES256 private key */
};

static void token_usage(FILE *stream)
{
	fputs("usage: tcchat-token --user ID [--role therapist|patient|admin] [--ttl SECONDS]\n"
	      "                    [--issuer S] [--audience S] [--algorithm HS256|RS256|ES256]\n"
	      "                    [--key-file PEM]\n"
	      "Mints a development access token and prints it. HS256 (the default) signs\n"
	      "with the secret in TCCHAT_JWT_SECRET; RS256 and ES256 sign with the PEM\n"
	      "private key named by --key-file. --ttl defaults to 3600 seconds; zero or a\n"
	      "negative value mints an already expired token.\n",
	      stream);
}

static int token_usage_error(const char *message, const char *value)
{
	if (value != NULL)
		fprintf(stderr, "tcchat-token: %s: %s\n", message, value);
	else
		fprintf(stderr, "tcchat-token: %s\n", message);
	fputs("Try 'tcchat-token --help'.\n", stderr);
	return TOKEN_EXIT_USAGE;
}

/* An id as the service accepts one: 1..64 printable ASCII, no space. */
static bool token_id_valid(const char *id)
{
	size_t length = strlen(id);

	if (length == 0 || length > TOKEN_ID_MAX)
		return false;
	for (size_t i = 0; i < length; i++)
		if (id[i] < 0x21 || id[i] > 0x7e)
			return false;
	return true;
}

static bool token_ttl_parse(const char *text, long *ttl)
{
	char *end = NULL;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value > TOKEN_TTL_MAX || value < -TOKEN_TTL_MAX)
		return false;
	*ttl = value;
	return true;
}

/* Parses argv into `options`; returns 0, TOKEN_HELP_SHOWN or an exit status. */
static int token_options_parse(int argc, char **argv, struct token_options *options)
{
	static const struct option long_options[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "role", required_argument, NULL, 'r' },
		{ "ttl", required_argument, NULL, 't' },
		{ "issuer", required_argument, NULL, 'i' },
		{ "audience", required_argument, NULL, 'a' },
		{ "algorithm", required_argument, NULL, 'A' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool known;
	int option;

	memset(options, 0, sizeof(*options));
	options->ttl_seconds = 3600;
	options->algorithm = JWT_ALG_HS256;
	opterr = 0;
	while ((option = getopt_long(argc, argv, ":", long_options, NULL)) != -1) {
		switch (option) {
		case 'u':
			options->user = optarg;
			break;
		case 'r':
			known = false;
			for (size_t i = 0; i < sizeof(token_roles) / sizeof(token_roles[0]); i++)
				if (strcmp(optarg, token_roles[i]) == 0)
					known = true;
			if (!known)
				return token_usage_error("--role must be therapist, patient or admin", optarg);
			options->role = optarg;
			break;
		case 't':
			if (!token_ttl_parse(optarg, &options->ttl_seconds))
				return token_usage_error("--ttl must be a whole number of seconds (at most ten years)",
							 optarg);
			break;
		case 'i':
			options->issuer = optarg;
			break;
		case 'a':
			options->audience = optarg;
			break;
		case 'A':
			known = false;
			for (size_t i = 0; i < sizeof(token_algorithms) / sizeof(token_algorithms[0]); i++) {
				if (strcmp(optarg, token_algorithms[i].name) == 0) {
					options->algorithm = token_algorithms[i].algorithm;
					known = true;
				}
			}
			if (!known)
				return token_usage_error("--algorithm must be HS256, RS256 or ES256", optarg);
			break;
		case 'k':
			options->key_file = optarg;
			break;
		case 'h':
			token_usage(stdout);
			return TOKEN_HELP_SHOWN;
		case ':':
			return token_usage_error("option needs a value", argv[optind - 1]);
		default:
			return token_usage_error("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return token_usage_error("unexpected argument", argv[optind]);
	if (options->user == NULL)
		return token_usage_error("--user is required", NULL);
	if (!token_id_valid(options->user))
		return token_usage_error("--user must be 1 to 64 printable characters without spaces",
					 options->user);
	if (options->issuer != NULL && options->issuer[0] == '\0')
		return token_usage_error("--issuer must not be empty", NULL);
	if (options->audience != NULL && options->audience[0] == '\0')
		return token_usage_error("--audience must not be empty", NULL);
	if (options->algorithm == JWT_ALG_HS256 && options->key_file != NULL)
		return token_usage_error("--key-file is for RS256 and ES256; HS256 reads TCCHAT_JWT_SECRET",
					 NULL);
	if (options->algorithm != JWT_ALG_HS256 && options->key_file == NULL)
		return token_usage_error("RS256 and ES256 need --key-file naming a PEM private key", NULL);
	return 0;
}

/* Reads the private key file; the caller frees the bytes. */
static unsigned char *token_key_read(const char *path, size_t *length)
{
	FILE *file = NULL;
	unsigned char *data = NULL;
	size_t count;

	file = fopen(path, "rb");
	if (file == NULL) {
		fprintf(stderr, "tcchat-token: cannot open --key-file %s: %s\n", path, strerror(errno));
		goto failed;
	}
	data = malloc(TOKEN_KEY_FILE_MAX + 1);
	if (data == NULL) {
		fprintf(stderr, "tcchat-token: out of memory\n");
		goto failed;
	}
	count = fread(data, 1, TOKEN_KEY_FILE_MAX + 1, file);
	if (ferror(file) || count == 0 || count > TOKEN_KEY_FILE_MAX) {
		fprintf(stderr, "tcchat-token: --key-file %s is unreadable, empty or too large\n", path);
		goto failed;
	}
	fclose(file);
	data[count] = '\0';
	*length = count;
	return data;

failed:
	free(data);
	if (file != NULL)
		fclose(file);
	return NULL;
}

/* A random token id: 16 bytes as 32 hexadecimal digits. */
static bool token_jti_make(char jti[2 * TOKEN_JTI_BYTES + 1])
{
	unsigned char bytes[TOKEN_JTI_BYTES];
	size_t filled = 0;

	while (filled < sizeof(bytes)) {
		ssize_t count = getrandom(bytes + filled, sizeof(bytes) - filled, 0);
		if (count < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		filled += (size_t)count;
	}
	for (size_t i = 0; i < sizeof(bytes); i++)
		snprintf(jti + 2 * i, 3, "%02x", bytes[i]);
	return true;
}

static int token_mint(const struct token_options *options)
{
	int status = TOKEN_EXIT_FAILURE;
	jwt_t *jwt = NULL;
	unsigned char *key = NULL;
	size_t key_length = 0;
	char *token = NULL;
	char jti[2 * TOKEN_JTI_BYTES + 1];
	const char *secret;
	time_t now = time(NULL);

	if (options->algorithm == JWT_ALG_HS256) {
		secret = getenv("TCCHAT_JWT_SECRET");
		if (secret == NULL || secret[0] == '\0') {
			status = token_usage_error("HS256 needs the secret in the environment variable TCCHAT_JWT_SECRET",
						   NULL);
			goto done;
		}
		key_length = strlen(secret);
		key = (unsigned char *)strdup(secret);
		if (key == NULL) {
			fprintf(stderr, "tcchat-token: out of memory\n");
			goto done;
		}
	} else {
		key = token_key_read(options->key_file, &key_length);
		if (key == NULL)
			goto done;
	}
	if (key_length > INT_MAX) {
		fprintf(stderr, "tcchat-token: the key is too long\n");
		goto done;
	}
	if (!token_jti_make(jti)) {
		fprintf(stderr, "tcchat-token: no random bytes for jti: %s\n", strerror(errno));
		goto done;
	}
	if (jwt_new(&jwt) != 0
	    || jwt_add_grant(jwt, "user_id", options->user) != 0
	    || jwt_add_grant_int(jwt, "iat", (long)now) != 0
	    || jwt_add_grant_int(jwt, "exp", (long)now + options->ttl_seconds) != 0
	    || jwt_add_grant(jwt, "token_type", "access") != 0
	    || jwt_add_grant(jwt, "jti", jti) != 0
	    || (options->role != NULL && jwt_add_grant(jwt, "role", options->role) != 0)
	    || (options->issuer != NULL && jwt_add_grant(jwt, "iss", options->issuer) != 0)
	    || (options->audience != NULL && jwt_add_grant(jwt, "aud", options->audience) != 0)) {
		fprintf(stderr, "tcchat-token: cannot build the claims\n");
		goto done;
	}
	if (jwt_set_alg(jwt, options->algorithm, key, (int)key_length) != 0) {
		fprintf(stderr, "tcchat-token: cannot use the key for %s\n", jwt_alg_str(options->algorithm));
		goto done;
	}
	token = jwt_encode_str(jwt);
	if (token == NULL) {
		fprintf(stderr, "tcchat-token: cannot sign the token with %s (is --key-file the right private key?)\n",
			jwt_alg_str(options->algorithm));
		goto done;
	}
	if (printf("%s\n", token) < 0 || fflush(stdout) != 0) {
		fprintf(stderr, "tcchat-token: cannot write the token: %s\n", strerror(errno));
		goto done;
	}
	status = EXIT_SUCCESS;
done:
	free(token);
	jwt_free(jwt);
	if (key != NULL) {
		memset(key, 0, key_length);
		free(key);
	}
	return status;
}

int main(int argc, char **argv)
{
	struct token_options options;
	int status = token_options_parse(argc, argv, &options);

	if (status == TOKEN_HELP_SHOWN)
		return EXIT_SUCCESS;
	if (status != 0)
		return status;
	return token_mint(&options);
}
