/*
 * Bearer token verification through auth_verify_bearer, built twice: with
 * an HS256 configuration (fuzz_jwt_hs256) and, with -DFUZZ_JWT_RS256, an
 * RS256 one using t/keys/rsa_public.pem (fuzz_jwt_rs256).
 *
 * The first byte chooses how the Authorization header is made from the
 * rest, and whether issuer and audience are checked:
 *   mode 0  the rest is the header value itself;
 *   mode 1  the rest is "<JOSE header JSON>\0<claims JSON>[\0<tail>]": the
 *           harness base64url-encodes both and signs them with the right
 *           key, so the claim checks behind the signature are reached; the
 *           tail is appended to the header value;
 *   mode 2  as mode 1, signed with a wrong key (HS256: another secret;
 *           RS256: HMAC with the public key PEM as the secret, the
 *           algorithm confusion attack); this must never verify;
 *   mode 3  as mode 1, the token preceded by the tail instead of "Bearer ".
 * Tokens are checked at a fixed time, NOW. Nothing is printed: neither the
 * secret nor any token.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "auth.h"
#include "base64url.h"
#include "config.h"
#include "fuzz_common.h"
#include "ids.h"

#ifndef TCCHAT_KEYS_DIR
#error "build with -DTCCHAT_KEYS_DIR=\"<source tree>/t/keys\""
#endif

#define NOW ((time_t)1700000000)

#ifndef FUZZ_JWT_RS256
/* Test-only HS256 secrets (at least 32 bytes); they guard nothing real. */
static const char fuzz_secret[] = "fuzz-only-secret-0123456789abcdef-not-used-anywhere";
static const char wrong_secret[] = "another-fuzz-secret-0123456789abcdef-also-unused";
#endif

static struct auth_keys *keys_plain;     /* no iss/aud checks */
static struct auth_keys *keys_claims;    /* iss and aud required */
#ifdef FUZZ_JWT_RS256
static EVP_PKEY *private_key;            /* t/keys/rsa_private.pem */
static unsigned char *public_pem;        /* t/keys/rsa_public.pem bytes */
static size_t public_pem_length;
#endif

static void keys_release(void)
{
	auth_keys_free(keys_plain);
	auth_keys_free(keys_claims);
#ifdef FUZZ_JWT_RS256
	EVP_PKEY_free(private_key);
	free(public_pem);
#endif
}

static struct auth_keys *keys_load(const char *issuer, const char *audience)
{
	char error[512] = "";
	struct config config = {0};
#ifdef FUZZ_JWT_RS256
	config.jwt_algorithm = JWT_ALGORITHM_RS256;
	config.jwt_public_key_file = (char *)TCCHAT_KEYS_DIR "/rsa_public.pem";
#else
	config.jwt_algorithm = JWT_ALGORITHM_HS256;
	config.jwt_secret = (char *)fuzz_secret;
#endif
	config.jwt_issuer = (char *)issuer;
	config.jwt_audience = (char *)audience;
	config.jwt_leeway_seconds = 30;
	struct auth_keys *keys = auth_keys_new(&config, error, sizeof error);
	if (keys == NULL) {
		/* The message names the setting and the file, never key material. */
		fprintf(stderr, "fuzz_jwt: cannot load keys: %s\n", error);
		abort();
	}
	return keys;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc, (void)argv;
	keys_plain = keys_load(NULL, NULL);
	keys_claims = keys_load("https://auth.therapyconnect.example", "tcchat");
#ifdef FUZZ_JWT_RS256
	FILE *file = fopen(TCCHAT_KEYS_DIR "/rsa_private.pem", "r");
	if (file == NULL || (private_key = PEM_read_PrivateKey(file, NULL, NULL, NULL)) == NULL) {
		fprintf(stderr, "fuzz_jwt: cannot read %s\n", TCCHAT_KEYS_DIR "/rsa_private.pem");
		abort();
	}
	fclose(file);
	file = fopen(TCCHAT_KEYS_DIR "/rsa_public.pem", "r");
	public_pem = malloc(65536);
	if (file == NULL || public_pem == NULL)
		abort();
	public_pem_length = fread(public_pem, 1, 65536, file);
	fclose(file);
#endif
	atexit(keys_release);
	return 0;
}

static void hmac_sign(const void *key, size_t key_length, const char *input, size_t length,
		      unsigned char *signature, size_t *signature_length)
{
	unsigned int out = 0;
	if (HMAC(EVP_sha256(), key, (int)key_length, (const unsigned char *)input, length, signature, &out) == NULL)
		abort();
	*signature_length = out;
}

/* Signs `input` as the configured algorithm does (`wrong`: with a key that
 * must not verify). `signature` holds at least 512 bytes. */
static void sign(bool wrong, const char *input, size_t length, unsigned char *signature, size_t *signature_length)
{
#ifdef FUZZ_JWT_RS256
	if (wrong) {
		hmac_sign(public_pem, public_pem_length, input, length, signature, signature_length);
		return;
	}
	EVP_MD_CTX *context = EVP_MD_CTX_new();
	*signature_length = 512;
	if (context == NULL || EVP_DigestSignInit(context, NULL, EVP_sha256(), NULL, private_key) != 1 ||
	    EVP_DigestSign(context, signature, signature_length, (const unsigned char *)input, length) != 1)
		abort();
	EVP_MD_CTX_free(context);
#else
	if (wrong)
		hmac_sign(wrong_secret, strlen(wrong_secret), input, length, signature, signature_length);
	else
		hmac_sign(fuzz_secret, strlen(fuzz_secret), input, length, signature, signature_length);
#endif
}

/* "<prefix><b64 header>.<b64 claims>.<b64 signature><suffix>" */
static char *token_build(const uint8_t *data, size_t size, int mode)
{
	const uint8_t *rest = data;
	size_t left = size;
	char *header = fuzz_take_field(&rest, &left, '\0');
	size_t header_length = strlen(header);
	char *claims = fuzz_take_field(&rest, &left, '\0');
	size_t claims_length = strlen(claims);
	char *tail = fuzz_copy(rest, left);

	char *header64 = base64url_encode((const unsigned char *)header, header_length);
	char *claims64 = base64url_encode((const unsigned char *)claims, claims_length);
	size_t input_length = strlen(header64) + 1 + strlen(claims64);
	char *input = malloc(input_length + 1);
	snprintf(input, input_length + 1, "%s.%s", header64, claims64);

	unsigned char signature[512];
	size_t signature_length = 0;
	sign(mode == 2, input, input_length, signature, &signature_length);
	char *signature64 = base64url_encode(signature, signature_length);

	const char *prefix = mode == 3 ? tail : "Bearer ";
	const char *suffix = mode == 3 ? "" : tail;
	size_t total = strlen(prefix) + input_length + 1 + strlen(signature64) + strlen(suffix) + 1;
	char *authorization = malloc(total);
	snprintf(authorization, total, "%s%s.%s%s", prefix, input, signature64, suffix);

	free(header);
	free(claims);
	free(tail);
	free(header64);
	free(claims64);
	free(input);
	free(signature64);
	return authorization;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int mode = data[0] & 3;
	struct auth_keys *keys = (data[0] & 4) ? keys_claims : keys_plain;
	char *authorization = mode == 0 ? fuzz_copy(data + 1, size - 1) : token_build(data + 1, size - 1, mode);

	struct identity identity;
	const char *reason = NULL;
	memset(&identity, 0xa5, sizeof identity);
	enum auth_result result = auth_verify_bearer(keys, authorization, NOW, &identity, &reason);

	FUZZ_CHECK(result < AUTH_RESULT__MAX);
	FUZZ_CHECK(reason != NULL);
	/* The reason is a static phrase: it never repeats the token. */
	FUZZ_CHECK(strlen(reason) < 64);
	if (result == AUTH_OK) {
		FUZZ_CHECK(mode != 2);
		FUZZ_CHECK(identity.role < ROLE__MAX);
		FUZZ_CHECK(strlen(identity.id) >= 1 && strlen(identity.id) <= IDENTITY_ID_MAX);
		if (identity.role == ROLE_THERAPIST)
			FUZZ_CHECK(id_is_therapist(identity.id));
		else if (identity.role == ROLE_PATIENT)
			FUZZ_CHECK(id_is_patient(identity.id));
		else
			FUZZ_CHECK(id_is_admin(identity.id));
	} else {
		static const struct identity cleared;
		FUZZ_CHECK(memcmp(&identity, &cleared, sizeof identity) == 0);
	}

	/* Without a verifier nothing passes. */
	FUZZ_CHECK(auth_verify_bearer(NULL, authorization, NOW, &identity, NULL) != AUTH_OK);

	free(authorization);
	return 0;
}
