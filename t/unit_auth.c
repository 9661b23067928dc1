/*
 * Unit tests of bearer token verification (src/auth.c, API.md section 2):
 * one test per acceptance or rejection rule. Tokens are minted here with
 * libjwt, or built by hand (base64url, HMAC) when libjwt cannot make them.
 * The test keys live in t/keys, found through TCCHAT_SRCDIR (default ".").
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth.h"

/* Every test runs at this instant; claims below are written relative to it. */
#define NOW 1700000000
#define LATER "1700003600"   /* NOW + 1 h */
#define SECRET "unit-test-secret-that-is-long-enough-for-hs256"

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

static char *text_format(const char *format, ...) __attribute__((format(printf, 1, 2)));

static char *text_format(const char *format, ...)
{
	va_list arguments;
	char *text = NULL;

	va_start(arguments, format);
	cr_assert_geq(vasprintf(&text, format, arguments), 0);
	va_end(arguments);
	return text;
}

static char *key_path(const char *name)
{
	const char *srcdir = getenv("TCCHAT_SRCDIR");

	return text_format("%s/t/keys/%s", srcdir != NULL && srcdir[0] != '\0' ? srcdir : ".", name);
}

/* The bytes of a file in t/keys; the caller frees them. */
static unsigned char *key_read(const char *name, size_t *length)
{
	char *path = key_path(name);
	FILE *file = fopen(path, "rb");
	unsigned char *data = malloc(65536);

	cr_assert_not_null(file, "cannot open %s (set TCCHAT_SRCDIR)", path);
	cr_assert_not_null(data);
	*length = fread(data, 1, 65535, file);
	cr_assert_gt(*length, 0);
	data[*length] = '\0';
	fclose(file);
	free(path);
	return data;
}

static struct config config_hs256(void)
{
	struct config config;

	memset(&config, 0, sizeof(config));
	config.jwt_algorithm = JWT_ALGORITHM_HS256;
	config.jwt_secret = SECRET;
	config.jwt_leeway_seconds = 30;
	return config;
}

/* The caller frees jwt_public_key_file. */
static struct config config_public(enum jwt_algorithm algorithm, const char *file)
{
	struct config config;

	memset(&config, 0, sizeof(config));
	config.jwt_algorithm = algorithm;
	config.jwt_public_key_file = key_path(file);
	config.jwt_leeway_seconds = 30;
	return config;
}

/* Mints a token with libjwt: any algorithm, any key, any claims. */
static char *token_mint(jwt_alg_t algorithm, const void *key, size_t key_length, const char *claims)
{
	jwt_t *jwt = NULL;
	char *token;

	cr_assert_eq(jwt_new(&jwt), 0);
	if (claims != NULL)
		cr_assert_eq(jwt_add_grants_json(jwt, claims), 0, "bad test claims: %s", claims);
	cr_assert_eq(jwt_set_alg(jwt, algorithm, key, (int)key_length), 0);
	token = jwt_encode_str(jwt);
	cr_assert_not_null(token);
	jwt_free(jwt);
	return token;
}

static char *token_hs256(const char *claims)
{
	return token_mint(JWT_ALG_HS256, SECRET, strlen(SECRET), claims);
}

static char *token_with_key_file(jwt_alg_t algorithm, const char *file, const char *claims)
{
	size_t length;
	unsigned char *key = key_read(file, &length);
	char *token = token_mint(algorithm, key, length, claims);

	free(key);
	return token;
}

static char *base64url(const void *data, size_t length)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *bytes = data;
	char *out = malloc(length / 3 * 4 + 5);
	size_t count = 0;
	unsigned bits = 0;
	int bit_count = 0;

	cr_assert_not_null(out);
	for (size_t i = 0; i < length; i++) {
		bits = (bits << 8) | bytes[i];
		bit_count += 8;
		while (bit_count >= 6) {
			bit_count -= 6;
			out[count++] = alphabet[(bits >> bit_count) & 63];
		}
	}
	if (bit_count > 0)
		out[count++] = alphabet[(bits << (6 - bit_count)) & 63];
	out[count] = '\0';
	return out;
}

/* header.payload from raw bytes (which may hold NULs or be invalid JSON). */
static char *token_signing_input(const void *header, size_t header_length,
				 const void *payload, size_t payload_length)
{
	char *encoded_header = base64url(header, header_length);
	char *encoded_payload = base64url(payload, payload_length);
	char *input = text_format("%s.%s", encoded_header, encoded_payload);

	free(encoded_header);
	free(encoded_payload);
	return input;
}

/* A hand-made token with the given signature text. */
static char *token_craft(const char *header, const char *payload, const char *signature)
{
	char *input = token_signing_input(header, strlen(header), payload, strlen(payload));
	char *token = text_format("%s.%s", input, signature);

	free(input);
	return token;
}

/* A hand-made token correctly signed with HS256 and the test secret. */
static char *token_craft_hs256_bytes(const void *header, size_t header_length,
				     const void *payload, size_t payload_length)
{
	char *input = token_signing_input(header, header_length, payload, payload_length);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_length = 0;
	char *signature;
	char *token;

	cr_assert_not_null(HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET),
				(const unsigned char *)input, strlen(input), mac, &mac_length));
	signature = base64url(mac, mac_length);
	token = text_format("%s.%s", input, signature);
	free(signature);
	free(input);
	return token;
}

static char *token_craft_hs256(const char *header, const char *payload)
{
	return token_craft_hs256_bytes(header, strlen(header), payload, strlen(payload));
}

#define HS256_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

struct outcome {
	enum auth_result result;
	struct identity identity;
	const char *reason;
};

/* Verifies an Authorization header value against keys made from `config`. */
static struct outcome verify_header(const struct config *config, const char *authorization)
{
	struct outcome outcome;
	char error[512] = "";
	struct auth_keys *keys = auth_keys_new(config, error, sizeof(error));

	cr_assert_not_null(keys, "auth_keys_new: %s", error);
	memset(&outcome, 0x55, sizeof(outcome));
	outcome.result = auth_verify_bearer(keys, authorization, NOW, &outcome.identity,
					    &outcome.reason);
	cr_assert_not_null(outcome.reason);
	/* The reason is a short fixed phrase: it never holds the token (a
	 * phrase such as "ok" may, by chance, stand inside a signature). */
	if (authorization != NULL && strlen(authorization) >= 16)
		cr_assert_null(strstr(outcome.reason, authorization + 7), "the reason must not quote the token");
	if (outcome.result != AUTH_OK) {
		cr_assert_str_empty(outcome.identity.id, "a rejection leaves no identity behind");
	}
	auth_keys_free(keys);
	return outcome;
}

/* Verifies `token` (then frees it) as "Bearer <token>". */
static struct outcome verify(const struct config *config, char *token)
{
	char *authorization = text_format("Bearer %s", token);
	struct outcome outcome = verify_header(config, authorization);

	free(authorization);
	free(token);
	return outcome;
}

static void expect_ok(struct outcome outcome, const char *id, enum role role)
{
	cr_assert_eq(outcome.result, AUTH_OK, "rejected: %s", outcome.reason);
	cr_assert_str_eq(outcome.identity.id, id);
	cr_assert_eq(outcome.identity.role, role, "role %d, expected %d",
		     (int)outcome.identity.role, (int)role);
}

static void expect_invalid(struct outcome outcome, const char *reason)
{
	cr_assert_eq(outcome.result, AUTH_INVALID, "result %d (%s), expected AUTH_INVALID",
		     (int)outcome.result, outcome.reason);
	if (reason != NULL)
		cr_assert_str_eq(outcome.reason, reason);
}

static void expect_missing(struct outcome outcome)
{
	cr_assert_eq(outcome.result, AUTH_MISSING, "result %d (%s), expected AUTH_MISSING",
		     (int)outcome.result, outcome.reason);
}

static struct outcome verify_hs256(const char *claims)
{
	struct config config = config_hs256();

	return verify(&config, token_hs256(claims));
}

/* ------------------------------------------------------------------------
 * Accepted tokens
 * ------------------------------------------------------------------------ */

Test(accept, hs256_with_user_id_therapist)
{
	expect_ok(verify_hs256("{\"user_id\":\"t_abc123\",\"exp\":" LATER "}"),
		  "t_abc123", ROLE_THERAPIST);
}

Test(accept, hs256_with_user_id_patient)
{
	expect_ok(verify_hs256("{\"user_id\":\"p_0z9y8x\",\"exp\":" LATER "}"),
		  "p_0z9y8x", ROLE_PATIENT);
}

Test(accept, sub_when_no_user_id)
{
	expect_ok(verify_hs256("{\"sub\":\"p_abc123\",\"exp\":" LATER "}"), "p_abc123", ROLE_PATIENT);
}

Test(accept, user_id_wins_over_sub)
{
	expect_ok(verify_hs256("{\"user_id\":\"t_abc123\",\"sub\":\"p_abc123\",\"exp\":" LATER "}"),
		  "t_abc123", ROLE_THERAPIST);
}

Test(accept, simplejwt_access_token)
{
	expect_ok(verify_hs256("{\"token_type\":\"access\",\"exp\":" LATER ",\"iat\":1700000000,"
			       "\"jti\":\"4f1c0e\",\"user_id\":\"t_abc123\"}"),
		  "t_abc123", ROLE_THERAPIST);
}

Test(accept, role_claim_admin_with_any_id)
{
	expect_ok(verify_hs256("{\"user_id\":\"ops@example.org\",\"role\":\"admin\",\"exp\":" LATER "}"),
		  "ops@example.org", ROLE_ADMIN);
}

Test(accept, role_claim_admin_with_64_character_id)
{
	expect_ok(verify_hs256("{\"user_id\":\"" "0123456789abcdef0123456789abcdef"
			       "0123456789abcdef0123456789abcdef" "\",\"role\":\"admin\",\"exp\":" LATER "}"),
		  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", ROLE_ADMIN);
}

Test(accept, integer_user_id_as_admin)
{
	expect_ok(verify_hs256("{\"user_id\":42,\"role\":\"admin\",\"exp\":" LATER "}"), "42", ROLE_ADMIN);
}

Test(accept, role_claim_matching_prefix)
{
	expect_ok(verify_hs256("{\"user_id\":\"p_abc123\",\"role\":\"patient\",\"exp\":" LATER "}"),
		  "p_abc123", ROLE_PATIENT);
}

Test(accept, rs256_with_public_key_file)
{
	struct config config = config_public(JWT_ALGORITHM_RS256, "rsa_public.pem");
	struct outcome outcome = verify(&config, token_with_key_file(JWT_ALG_RS256, "rsa_private.pem",
			"{\"user_id\":\"t_abc123\",\"exp\":" LATER "}"));

	free(config.jwt_public_key_file);
	expect_ok(outcome, "t_abc123", ROLE_THERAPIST);
}

Test(accept, es256_with_public_key_file)
{
	struct config config = config_public(JWT_ALGORITHM_ES256, "ec_public.pem");
	struct outcome outcome = verify(&config, token_with_key_file(JWT_ALG_ES256, "ec_private.pem",
			"{\"user_id\":\"p_abc123\",\"exp\":" LATER "}"));

	free(config.jwt_public_key_file);
	expect_ok(outcome, "p_abc123", ROLE_PATIENT);
}

Test(accept, scheme_case_insensitive_and_several_spaces)
{
	struct config config = config_hs256();
	char *token = token_hs256("{\"user_id\":\"t_abc123\",\"exp\":" LATER "}");
	char *authorization = text_format("bEARER   %s", token);

	expect_ok(verify_header(&config, authorization), "t_abc123", ROLE_THERAPIST);
	free(authorization);
	free(token);
}

Test(accept, nbf_in_future_within_leeway)
{
	expect_ok(verify_hs256("{\"user_id\":\"t_abc123\",\"nbf\":1700000020,\"exp\":" LATER "}"),
		  "t_abc123", ROLE_THERAPIST);
}

Test(accept, nbf_in_past)
{
	expect_ok(verify_hs256("{\"user_id\":\"t_abc123\",\"nbf\":1600000000,\"exp\":" LATER "}"),
		  "t_abc123", ROLE_THERAPIST);
}

Test(accept, iat_in_future_within_leeway)
{
	expect_ok(verify_hs256("{\"user_id\":\"t_abc123\",\"iat\":1700000030,\"exp\":" LATER "}"),
		  "t_abc123", ROLE_THERAPIST);
}

Test(accept, exp_just_past_within_leeway)
{
	expect_ok(verify_hs256("{\"user_id\":\"t_abc123\",\"exp\":1699999980}"),
		  "t_abc123", ROLE_THERAPIST);
}

Test(accept, exp_as_fractional_number)
{
	expect_ok(verify_hs256("{\"user_id\":\"t_abc123\",\"exp\":1700003600.5}"),
		  "t_abc123", ROLE_THERAPIST);
}

Test(accept, exp_largest_integer)
{
	expect_ok(verify_hs256("{\"user_id\":\"t_abc123\",\"exp\":9223372036854775807}"),
		  "t_abc123", ROLE_THERAPIST);
}

Test(accept, issuer_and_audience_when_configured)
{
	struct config config = config_hs256();

	config.jwt_issuer = "https://auth.example.org";
	config.jwt_audience = "tcchat";
	expect_ok(verify(&config, token_hs256("{\"user_id\":\"t_abc123\",\"exp\":" LATER ","
					      "\"iss\":\"https://auth.example.org\",\"aud\":\"tcchat\"}")),
		  "t_abc123", ROLE_THERAPIST);
}

Test(accept, audience_in_array)
{
	struct config config = config_hs256();

	config.jwt_audience = "tcchat";
	expect_ok(verify(&config, token_hs256("{\"user_id\":\"t_abc123\",\"exp\":" LATER ","
					      "\"aud\":[\"billing\",\"tcchat\"]}")),
		  "t_abc123", ROLE_THERAPIST);
}

Test(accept, issuer_not_checked_when_not_configured)
{
	expect_ok(verify_hs256("{\"user_id\":\"t_abc123\",\"exp\":" LATER ",\"iss\":\"anyone\",\"aud\":7}"),
		  "t_abc123", ROLE_THERAPIST);
}

/* ------------------------------------------------------------------------
 * The Authorization header
 * ------------------------------------------------------------------------ */

Test(header, null_is_missing)
{
	struct config config = config_hs256();

	expect_missing(verify_header(&config, NULL));
}

Test(header, empty_value_is_missing)
{
	struct config config = config_hs256();

	expect_missing(verify_header(&config, ""));
}

Test(header, other_scheme_is_missing)
{
	struct config config = config_hs256();

	expect_missing(verify_header(&config, "Basic dXNlcjpwYXNz"));
	expect_missing(verify_header(&config, "Token abc.def.ghi"));
}

Test(header, scheme_glued_to_token_is_missing)
{
	struct config config = config_hs256();

	expect_missing(verify_header(&config, "Bearerabc.def.ghi"));
}

Test(header, empty_token_is_invalid)
{
	struct config config = config_hs256();

	expect_invalid(verify_header(&config, "Bearer"), "empty token");
	expect_invalid(verify_header(&config, "Bearer    "), "empty token");
}

Test(header, token_over_8_kib_is_invalid)
{
	struct config config = config_hs256();
	char *authorization = malloc(7 + 8193 + 1);

	memcpy(authorization, "Bearer ", 7);
	memset(authorization + 7, 'a', 8193);
	authorization[7 + 8193] = '\0';
	expect_invalid(verify_header(&config, authorization), "token too long");
	free(authorization);
}

Test(header, token_of_100_kb_is_invalid)
{
	struct config config = config_hs256();
	char *padding = malloc(100 * 1024 + 1);
	char *token;

	memset(padding, 'x', 100 * 1024);
	padding[100 * 1024] = '\0';
	token = text_format("{\"user_id\":\"t_abc123\",\"exp\":" LATER ",\"pad\":\"%s\"}", padding);
	expect_invalid(verify(&config, token_hs256(token)), "token too long");
	free(token);
	free(padding);
}

/* ------------------------------------------------------------------------
 * Token syntax
 * ------------------------------------------------------------------------ */

Test(syntax, garbage_base64)
{
	struct config config = config_hs256();

	expect_invalid(verify_header(&config, "Bearer abc$.def.ghi"), "malformed token");
	expect_invalid(verify_header(&config, "Bearer ab+c.de/f.gh=i"), "malformed token");
}

Test(syntax, base64_with_stray_bits)
{
	struct config config = config_hs256();

	/* "e30" is "{}"; "e31" decodes to the same bytes with a stray low bit. */
	expect_invalid(verify_header(&config, "Bearer eyJhbGciOiJIUzI1NiJ9.e31.c2ln"), "malformed payload");
	expect_invalid(verify(&config, token_craft_hs256("{\"alg\":\"HS256\"}", "{}")), "missing exp");
}

Test(syntax, base64_impossible_length)
{
	struct config config = config_hs256();

	/* Five characters cannot be base64 of anything. */
	expect_invalid(verify_header(&config, "Bearer eyJhbGciOiJIUzI1NiJ9.e30xx.c2ln"), "malformed payload");
}

Test(syntax, header_not_json)
{
	struct config config = config_hs256();

	expect_invalid(verify(&config, token_craft("alg=HS256", "{}", "c2ln")), "malformed header");
}

Test(syntax, header_json_but_not_object)
{
	struct config config = config_hs256();

	expect_invalid(verify(&config, token_craft("[\"HS256\"]", "{}", "c2ln")), "malformed header");
	expect_invalid(verify(&config, token_craft("\"HS256\"", "{}", "c2ln")), "malformed header");
}

Test(syntax, header_with_trailing_garbage)
{
	struct config config = config_hs256();

	expect_invalid(verify(&config, token_craft("{\"alg\":\"HS256\"}x", "{}", "c2ln")),
		       "malformed header");
}

Test(syntax, header_with_nul_byte)
{
	struct config config = config_hs256();
	static const char header[] = "{\"alg\":\"HS256\"}\0";

	expect_invalid(verify(&config, token_craft_hs256_bytes(header, sizeof(header) - 1,
							       "{\"user_id\":\"t_abc123\",\"exp\":" LATER "}",
							       strlen("{\"user_id\":\"t_abc123\",\"exp\":" LATER "}"))),
		       "malformed header");
}

Test(syntax, payload_not_object)
{
	struct config config = config_hs256();

	expect_invalid(verify(&config, token_craft_hs256(HS256_HEADER, "[\"t_abc123\"]")), "malformed payload");
	expect_invalid(verify(&config, token_craft_hs256(HS256_HEADER, "1700003600")), "malformed payload");
	expect_invalid(verify(&config, token_craft_hs256(HS256_HEADER, "null")), "malformed payload");
}

Test(syntax, payload_with_nul_byte)
{
	struct config config = config_hs256();
	static const char payload[] = "{\"user_id\":\"t_abc123\",\"exp\":" LATER "}\0{\"role\":\"admin\"}";

	expect_invalid(verify(&config, token_craft_hs256_bytes(HS256_HEADER, strlen(HS256_HEADER),
							       payload, sizeof(payload) - 1)),
		       "malformed payload");
}

Test(syntax, three_dots)
{
	struct config config = config_hs256();
	char *token = token_hs256("{\"user_id\":\"t_abc123\",\"exp\":" LATER "}");
	char *longer = text_format("%s.", token);

	free(token);
	expect_invalid(verify(&config, longer), "malformed token");
	expect_invalid(verify_header(&config, "Bearer a.b.c.d"), "malformed token");
}

Test(syntax, wrong_number_of_parts)
{
	struct config config = config_hs256();

	expect_invalid(verify_header(&config, "Bearer abc"), "malformed token");
	expect_invalid(verify_header(&config, "Bearer abc.def"), "malformed token");
}

Test(syntax, empty_parts)
{
	struct config config = config_hs256();

	expect_invalid(verify_header(&config, "Bearer .."), "malformed token");
	expect_invalid(verify_header(&config, "Bearer e30..c2ln"), "malformed token");
	expect_invalid(verify_header(&config, "Bearer .e30.c2ln"), "malformed token");
}

Test(syntax, unsigned_token_has_empty_signature)
{
	struct config config = config_hs256();

	expect_invalid(verify(&config, token_mint(JWT_ALG_NONE, NULL, 0,
			      "{\"user_id\":\"t_abc123\",\"exp\":" LATER "}")), NULL);
}

Test(syntax, space_inside_token)
{
	struct config config = config_hs256();

	expect_invalid(verify_header(&config, "Bearer e30.e30 .c2ln"), "malformed token");
}

/* ------------------------------------------------------------------------
 * Algorithm pinning
 * ------------------------------------------------------------------------ */

Test(algorithm, none_rejected)
{
	struct config config = config_hs256();

	expect_invalid(verify(&config, token_craft("{\"alg\":\"none\",\"typ\":\"JWT\"}",
			      "{\"user_id\":\"t_abc123\",\"exp\":" LATER "}", "c2ln")),
		       "algorithm not allowed");
}

Test(algorithm, missing_alg_rejected)
{
	struct config config = config_hs256();

	expect_invalid(verify(&config, token_craft("{\"typ\":\"JWT\"}",
			      "{\"user_id\":\"t_abc123\",\"exp\":" LATER "}", "c2ln")),
		       "algorithm not allowed");
}

Test(algorithm, alg_compared_exactly)
{
	struct config config = config_hs256();

	expect_invalid(verify(&config, token_craft_hs256("{\"alg\":\"hs256\"}",
			      "{\"user_id\":\"t_abc123\",\"exp\":" LATER "}")), "algorithm not allowed");
	expect_invalid(verify(&config, token_craft_hs256("{\"alg\":\"HS256\\u0000\"}",
			      "{\"user_id\":\"t_abc123\",\"exp\":" LATER "}")), "algorithm not allowed");
	expect_invalid(verify(&config, token_craft_hs256("{\"alg\":[\"HS256\"]}",
			      "{\"user_id\":\"t_abc123\",\"exp\":" LATER "}")), "algorithm not allowed");
}

Test(algorithm, hs384_rejected_when_hs256_configured)
{
	struct config config = config_hs256();

	expect_invalid(verify(&config, token_mint(JWT_ALG_HS384, SECRET, strlen(SECRET),
			      "{\"user_id\":\"t_abc123\",\"exp\":" LATER "}")), "algorithm not allowed");
}

Test(algorithm, hs512_rejected_when_hs256_configured)
{
	struct config config = config_hs256();

	expect_invalid(verify(&config, token_mint(JWT_ALG_HS512, SECRET, strlen(SECRET),
			      "{\"user_id\":\"t_abc123\",\"exp\":" LATER "}")), "algorithm not allowed");
}

Test(algorithm, rs256_rejected_when_hs256_configured)
{
	struct config config = config_hs256();

	expect_invalid(verify(&config, token_with_key_file(JWT_ALG_RS256, "rsa_private.pem",
			      "{\"user_id\":\"t_abc123\",\"exp\":" LATER "}")), "algorithm not allowed");
}

Test(algorithm, hs256_rejected_when_rs256_configured)
{
	struct config config = config_public(JWT_ALGORITHM_RS256, "rsa_public.pem");
	struct outcome outcome = verify(&config, token_hs256("{\"user_id\":\"t_abc123\",\"exp\":" LATER "}"));

	free(config.jwt_public_key_file);
	expect_invalid(outcome, "algorithm not allowed");
}

Test(algorithm, hs256_rejected_when_es256_configured)
{
	struct config config = config_public(JWT_ALGORITHM_ES256, "ec_public.pem");
	struct outcome outcome = verify(&config, token_hs256("{\"user_id\":\"t_abc123\",\"exp\":" LATER "}"));

	free(config.jwt_public_key_file);
	expect_invalid(outcome, "algorithm not allowed");
}

Test(algorithm, confusion_hs256_signed_with_rsa_public_key)
{
	struct config config = config_public(JWT_ALGORITHM_RS256, "rsa_public.pem");
	struct outcome outcome = verify(&config, token_with_key_file(JWT_ALG_HS256, "rsa_public.pem",
			"{\"user_id\":\"t_abc123\",\"role\":\"admin\",\"exp\":" LATER "}"));

	free(config.jwt_public_key_file);
	expect_invalid(outcome, "algorithm not allowed");
}

Test(algorithm, confusion_hs256_signed_with_ec_public_key)
{
	struct config config = config_public(JWT_ALGORITHM_ES256, "ec_public.pem");
	struct outcome outcome = verify(&config, token_with_key_file(JWT_ALG_HS256, "ec_public.pem",
			"{\"user_id\":\"t_abc123\",\"exp\":" LATER "}"));

	free(config.jwt_public_key_file);
	expect_invalid(outcome, "algorithm not allowed");
}

Test(algorithm, es256_rejected_when_rs256_configured)
{
	struct config config = config_public(JWT_ALGORITHM_RS256, "rsa_public.pem");
	struct outcome outcome = verify(&config, token_with_key_file(JWT_ALG_ES256, "ec_private.pem",
			"{\"user_id\":\"t_abc123\",\"exp\":" LATER "}"));

	free(config.jwt_public_key_file);
	expect_invalid(outcome, "algorithm not allowed");
}

Test(algorithm, critical_header_rejected)
{
	struct config config = config_hs256();

	expect_invalid(verify(&config, token_craft_hs256("{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1}",
			      "{\"user_id\":\"t_abc123\",\"exp\":" LATER "}")),
		       "critical header not supported");
}

/* ------------------------------------------------------------------------
 * Signatures
 * ------------------------------------------------------------------------ */

Test(signature, wrong_secret)
{
	struct config config = config_hs256();

	expect_invalid(verify(&config, token_mint(JWT_ALG_HS256, "another-secret", 14,
			      "{\"user_id\":\"t_abc123\",\"exp\":" LATER "}")), "bad signature");
}

Test(signature, tampered_payload)
{
	struct config config = config_hs256();
	char *genuine = token_hs256("{\"user_id\":\"p_abc123\",\"exp\":" LATER "}");
	char *forged = token_craft(HS256_HEADER, "{\"user_id\":\"p_abc123\",\"role\":\"admin\",\"exp\":" LATER "}", "x");
	char *signature = strrchr(genuine, '.') + 1;
	char *forged_input_end = strrchr(forged, '.');
	char *token;

	*forged_input_end = '\0';
	token = text_format("%s.%s", forged, signature);
	free(genuine);
	free(forged);
	expect_invalid(verify(&config, token), "bad signature");
}

Test(signature, garbage_signature)
{
	struct config config = config_hs256();

	expect_invalid(verify(&config, token_craft(HS256_HEADER,
			      "{\"user_id\":\"t_abc123\",\"exp\":" LATER "}", "c2lnbmF0dXJl")),
		       "bad signature");
}

Test(signature, rs256_tampered_payload)
{
	struct config config = config_public(JWT_ALGORITHM_RS256, "rsa_public.pem");
	char *genuine = token_with_key_file(JWT_ALG_RS256, "rsa_private.pem",
					    "{\"user_id\":\"p_abc123\",\"exp\":" LATER "}");
	char *forged = token_craft("{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
				   "{\"user_id\":\"t_abc123\",\"exp\":" LATER "}", "x");
	char *token;
	struct outcome outcome;

	*strrchr(forged, '.') = '\0';
	token = text_format("%s.%s", forged, strrchr(genuine, '.') + 1);
	free(genuine);
	free(forged);
	outcome = verify(&config, token);
	free(config.jwt_public_key_file);
	expect_invalid(outcome, "bad signature");
}

Test(signature, es256_garbage_signature)
{
	struct config config = config_public(JWT_ALGORITHM_ES256, "ec_public.pem");
	struct outcome outcome = verify(&config, token_craft("{\"alg\":\"ES256\",\"typ\":\"JWT\"}",
			"{\"user_id\":\"t_abc123\",\"exp\":" LATER "}", "AAAA"));

	free(config.jwt_public_key_file);
	expect_invalid(outcome, "bad signature");
}

/* ------------------------------------------------------------------------
 * Time claims
 * ------------------------------------------------------------------------ */

Test(times, expired)
{
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\",\"exp\":1699990000}"), "expired");
}

Test(times, expired_at_the_end_of_leeway)
{
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\",\"exp\":1699999970}"), "expired");
}

Test(times, exp_negative)
{
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\",\"exp\":-1}"), "expired");
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\",\"exp\":-9223372036854775807}"), "expired");
}

Test(times, exp_missing)
{
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\"}"), "missing exp");
}

Test(times, exp_as_string)
{
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\",\"exp\":\"" LATER "\"}"), "exp not a number");
}

Test(times, exp_of_other_types)
{
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\",\"exp\":true}"), "exp not a number");
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\",\"exp\":null}"), "exp not a number");
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\",\"exp\":[" LATER "]}"), "exp not a number");
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\",\"exp\":{}}"), "exp not a number");
}

Test(times, exp_not_finite_or_huge)
{
	struct config config = config_hs256();

	expect_invalid(verify(&config, token_craft_hs256(HS256_HEADER,
			      "{\"user_id\":\"t_abc123\",\"exp\":NaN}")), NULL);
	expect_invalid(verify(&config, token_craft_hs256(HS256_HEADER,
			      "{\"user_id\":\"t_abc123\",\"exp\":-Infinity}")), NULL);
	expect_invalid(verify(&config, token_craft_hs256(HS256_HEADER,
			      "{\"user_id\":\"t_abc123\",\"exp\":-1e999}")), NULL);
	expect_invalid(verify(&config, token_craft_hs256(HS256_HEADER,
			      "{\"user_id\":\"t_abc123\",\"exp\":-99999999999999999999999}")), NULL);
}

Test(times, exp_fraction_past)
{
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\",\"exp\":1699990000.9}"), "expired");
}

Test(times, nbf_in_future_beyond_leeway)
{
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\",\"nbf\":1700000031,\"exp\":" LATER "}"),
		       "not yet valid");
}

Test(times, nbf_not_a_number)
{
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\",\"nbf\":\"0\",\"exp\":" LATER "}"),
		       "nbf not a number");
}

Test(times, iat_in_future_beyond_leeway)
{
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\",\"iat\":1700000031,\"exp\":" LATER "}"),
		       "issued in the future");
}

Test(times, iat_not_a_number)
{
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\",\"iat\":false,\"exp\":" LATER "}"),
		       "iat not a number");
}

Test(times, zero_leeway)
{
	struct config config = config_hs256();

	config.jwt_leeway_seconds = 0;
	expect_invalid(verify(&config, token_hs256("{\"user_id\":\"t_abc123\",\"exp\":1700000000}")), "expired");
	expect_ok(verify(&config, token_hs256("{\"user_id\":\"t_abc123\",\"exp\":1700000001}")),
		  "t_abc123", ROLE_THERAPIST);
	expect_invalid(verify(&config, token_hs256("{\"user_id\":\"t_abc123\",\"nbf\":1700000001,"
						   "\"exp\":" LATER "}")), "not yet valid");
}

/* ------------------------------------------------------------------------
 * Issuer, audience, token type
 * ------------------------------------------------------------------------ */

Test(context, wrong_issuer)
{
	struct config config = config_hs256();

	config.jwt_issuer = "https://auth.example.org";
	expect_invalid(verify(&config, token_hs256("{\"user_id\":\"t_abc123\",\"exp\":" LATER ","
						   "\"iss\":\"https://evil.example.org\"}")), "wrong issuer");
}

Test(context, missing_issuer_when_configured)
{
	struct config config = config_hs256();

	config.jwt_issuer = "https://auth.example.org";
	expect_invalid(verify(&config, token_hs256("{\"user_id\":\"t_abc123\",\"exp\":" LATER "}")),
		       "wrong issuer");
}

Test(context, issuer_not_a_string)
{
	struct config config = config_hs256();

	config.jwt_issuer = "https://auth.example.org";
	expect_invalid(verify(&config, token_hs256("{\"user_id\":\"t_abc123\",\"exp\":" LATER ","
						   "\"iss\":[\"https://auth.example.org\"]}")), "wrong issuer");
}

Test(context, wrong_audience)
{
	struct config config = config_hs256();

	config.jwt_audience = "tcchat";
	expect_invalid(verify(&config, token_hs256("{\"user_id\":\"t_abc123\",\"exp\":" LATER ","
						   "\"aud\":\"billing\"}")), "wrong audience");
}

Test(context, missing_audience_when_configured)
{
	struct config config = config_hs256();

	config.jwt_audience = "tcchat";
	expect_invalid(verify(&config, token_hs256("{\"user_id\":\"t_abc123\",\"exp\":" LATER "}")),
		       "wrong audience");
}

Test(context, audience_array_without_match)
{
	struct config config = config_hs256();

	config.jwt_audience = "tcchat";
	expect_invalid(verify(&config, token_hs256("{\"user_id\":\"t_abc123\",\"exp\":" LATER ","
						   "\"aud\":[\"billing\",\"tcchat2\"]}")), "wrong audience");
	expect_invalid(verify(&config, token_hs256("{\"user_id\":\"t_abc123\",\"exp\":" LATER ","
						   "\"aud\":[]}")), "wrong audience");
}

Test(context, audience_array_with_non_string)
{
	struct config config = config_hs256();

	config.jwt_audience = "tcchat";
	expect_invalid(verify(&config, token_hs256("{\"user_id\":\"t_abc123\",\"exp\":" LATER ","
						   "\"aud\":[\"tcchat\",7]}")), "wrong audience");
}

Test(context, refresh_token_type)
{
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\",\"token_type\":\"refresh\",\"exp\":" LATER "}"),
		       "not an access token");
}

Test(context, token_type_not_a_string)
{
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\",\"token_type\":null,\"exp\":" LATER "}"),
		       "not an access token");
}

/* ------------------------------------------------------------------------
 * Identity: user id and role
 * ------------------------------------------------------------------------ */

Test(identity, missing_user_id)
{
	expect_invalid(verify_hs256("{\"exp\":" LATER ",\"role\":\"admin\"}"), "missing user id");
}

Test(identity, unknown_role)
{
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\",\"role\":\"superuser\",\"exp\":" LATER "}"),
		       "unknown role");
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\",\"role\":\"Admin\",\"exp\":" LATER "}"),
		       "unknown role");
}

Test(identity, role_not_a_string)
{
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\",\"role\":2,\"exp\":" LATER "}"), "unknown role");
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\",\"role\":[\"admin\"],\"exp\":" LATER "}"),
		       "unknown role");
}

Test(identity, no_role_and_no_prefix)
{
	expect_invalid(verify_hs256("{\"user_id\":\"a_abc123\",\"exp\":" LATER "}"),
		       "no role claim and no role prefix");
}

Test(identity, integer_user_id_without_role)
{
	expect_invalid(verify_hs256("{\"user_id\":42,\"exp\":" LATER "}"), "no role claim and no role prefix");
}

Test(identity, malformed_therapist_ids)
{
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc12\",\"exp\":" LATER "}"), "id does not fit the role");
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc1234\",\"exp\":" LATER "}"), "id does not fit the role");
	expect_invalid(verify_hs256("{\"user_id\":\"t_ABC123\",\"exp\":" LATER "}"), "id does not fit the role");
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc-12\",\"exp\":" LATER "}"), "id does not fit the role");
}

Test(identity, malformed_patient_ids)
{
	expect_invalid(verify_hs256("{\"user_id\":\"p_\",\"exp\":" LATER "}"), "id does not fit the role");
	expect_invalid(verify_hs256("{\"user_id\":\"p_abc 12\",\"exp\":" LATER "}"), "id does not fit the role");
}

Test(identity, malformed_admin_ids)
{
	expect_invalid(verify_hs256("{\"user_id\":\"ops team\",\"role\":\"admin\",\"exp\":" LATER "}"),
		       "id does not fit the role");
	expect_invalid(verify_hs256("{\"user_id\":\"ops\\ttab\",\"role\":\"admin\",\"exp\":" LATER "}"),
		       "id does not fit the role");
	expect_invalid(verify_hs256("{\"user_id\":\"caf\\u00e9\",\"role\":\"admin\",\"exp\":" LATER "}"),
		       "id does not fit the role");
}

Test(identity, user_id_longer_than_64)
{
	expect_invalid(verify_hs256("{\"user_id\":\"" "0123456789abcdef0123456789abcdef"
				    "0123456789abcdef0123456789abcdef0" "\",\"role\":\"admin\",\"exp\":" LATER "}"),
		       "malformed user id");
}

Test(identity, user_id_empty)
{
	expect_invalid(verify_hs256("{\"user_id\":\"\",\"role\":\"admin\",\"exp\":" LATER "}"), "malformed user id");
}

Test(identity, user_id_of_other_types)
{
	expect_invalid(verify_hs256("{\"user_id\":4.5,\"role\":\"admin\",\"exp\":" LATER "}"), "malformed user id");
	expect_invalid(verify_hs256("{\"user_id\":true,\"role\":\"admin\",\"exp\":" LATER "}"), "malformed user id");
	expect_invalid(verify_hs256("{\"user_id\":null,\"sub\":\"t_abc123\",\"exp\":" LATER "}"), "malformed user id");
	expect_invalid(verify_hs256("{\"user_id\":[\"t_abc123\"],\"exp\":" LATER "}"), "malformed user id");
}

Test(identity, user_id_with_hidden_nul)
{
	struct config config = config_hs256();

	expect_invalid(verify(&config, token_craft_hs256(HS256_HEADER,
			      "{\"user_id\":\"t_abc123\\u0000x\",\"exp\":" LATER "}")), NULL);
}

Test(identity, user_id_integer_out_of_range)
{
	struct config config = config_hs256();

	expect_invalid(verify(&config, token_craft_hs256(HS256_HEADER,
			      "{\"user_id\":99999999999999999999,\"role\":\"admin\",\"exp\":" LATER "}")), NULL);
}

Test(identity, therapist_role_with_patient_id)
{
	expect_invalid(verify_hs256("{\"user_id\":\"p_abc123\",\"role\":\"therapist\",\"exp\":" LATER "}"),
		       "id does not fit the role");
}

Test(identity, patient_role_with_therapist_id)
{
	expect_invalid(verify_hs256("{\"user_id\":\"t_abc123\",\"role\":\"patient\",\"exp\":" LATER "}"),
		       "id does not fit the role");
}

Test(identity, sub_not_used_when_user_id_malformed)
{
	expect_invalid(verify_hs256("{\"user_id\":\"\",\"sub\":\"t_abc123\",\"exp\":" LATER "}"),
		       "malformed user id");
}

/* ------------------------------------------------------------------------
 * Keys
 * ------------------------------------------------------------------------ */

static void expect_keys_error(const struct config *config, const char *setting)
{
	char error[512] = "";
	struct auth_keys *keys = auth_keys_new(config, error, sizeof(error));

	cr_assert_null(keys);
	cr_assert_not_null(strstr(error, setting), "error does not name %s: %s", setting, error);
	cr_assert_null(strstr(error, "MII"), "error must not print key material: %s", error);
	cr_assert_null(strstr(error, SECRET), "error must not print the secret: %s", error);
}

Test(keys, free_null_is_safe)
{
	auth_keys_free(NULL);
}

Test(keys, missing_secret)
{
	struct config config = config_hs256();

	config.jwt_secret = NULL;
	expect_keys_error(&config, "TCCHAT_JWT_SECRET");
	config.jwt_secret = "";
	expect_keys_error(&config, "TCCHAT_JWT_SECRET");
}

Test(keys, missing_public_key_file_setting)
{
	struct config config = config_hs256();

	config.jwt_algorithm = JWT_ALGORITHM_RS256;
	expect_keys_error(&config, "TCCHAT_JWT_PUBLIC_KEY_FILE");
}

Test(keys, unreadable_public_key_file)
{
	struct config config = config_public(JWT_ALGORITHM_RS256, "no_such_key.pem");

	expect_keys_error(&config, "TCCHAT_JWT_PUBLIC_KEY_FILE");
	free(config.jwt_public_key_file);
}

Test(keys, empty_public_key_file)
{
	struct config config = config_hs256();

	config.jwt_algorithm = JWT_ALGORITHM_ES256;
	config.jwt_public_key_file = "/dev/null";
	expect_keys_error(&config, "TCCHAT_JWT_PUBLIC_KEY_FILE");
}

Test(keys, private_key_file_refused)
{
	struct config config = config_public(JWT_ALGORITHM_RS256, "rsa_private.pem");

	expect_keys_error(&config, "TCCHAT_JWT_PUBLIC_KEY_FILE");
	free(config.jwt_public_key_file);
}

Test(keys, key_of_the_wrong_type)
{
	struct config config = config_public(JWT_ALGORITHM_ES256, "rsa_public.pem");

	expect_keys_error(&config, "TCCHAT_JWT_PUBLIC_KEY_FILE");
	free(config.jwt_public_key_file);
	config = config_public(JWT_ALGORITHM_RS256, "ec_public.pem");
	expect_keys_error(&config, "TCCHAT_JWT_PUBLIC_KEY_FILE");
	free(config.jwt_public_key_file);
}

Test(keys, not_a_pem_file)
{
	struct config config = config_hs256();
	char path[] = "/tmp/tcchat-unit-auth-XXXXXX";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, "hello\n", 6), 6);
	close(fd);
	config.jwt_algorithm = JWT_ALGORITHM_RS256;
	config.jwt_public_key_file = path;
	expect_keys_error(&config, "TCCHAT_JWT_PUBLIC_KEY_FILE");
	unlink(path);
}

Test(keys, negative_leeway)
{
	struct config config = config_hs256();

	config.jwt_leeway_seconds = -1;
	expect_keys_error(&config, "TCCHAT_JWT_LEEWAY");
}

Test(keys, config_may_be_freed_after_loading)
{
	struct config config = config_hs256();
	char *secret = strdup(SECRET);
	char *audience = strdup("tcchat");
	char error[256];
	struct auth_keys *keys;
	struct identity identity;
	const char *reason;
	char *token = token_hs256("{\"user_id\":\"t_abc123\",\"aud\":\"tcchat\",\"exp\":" LATER "}");
	char *authorization = text_format("Bearer %s", token);

	config.jwt_secret = secret;
	config.jwt_audience = audience;
	keys = auth_keys_new(&config, error, sizeof(error));
	cr_assert_not_null(keys, "%s", error);
	memset(secret, 'x', strlen(secret));
	free(secret);
	free(audience);
	cr_assert_eq(auth_verify_bearer(keys, authorization, NOW, &identity, &reason), AUTH_OK, "%s", reason);
	auth_keys_free(keys);
	free(authorization);
	free(token);
}

Test(keys, verify_without_keys_is_invalid)
{
	struct identity identity;
	const char *reason = NULL;

	cr_assert_eq(auth_verify_bearer(NULL, "Bearer a.b.c", NOW, &identity, &reason), AUTH_INVALID);
	cr_assert_not_null(reason);
}

Test(keys, role_names)
{
	cr_assert_str_eq(role_names[ROLE_THERAPIST], "therapist");
	cr_assert_str_eq(role_names[ROLE_PATIENT], "patient");
	cr_assert_str_eq(role_names[ROLE_ADMIN], "admin");
}

/* ------------------------------------------------------------------------
 * The cache of verified tokens: it spares the work, never a check
 * ------------------------------------------------------------------------ */

/* An HS256 token of these claims, which it frees. */
static char *token_hs256_owned(char *claims)
{
	char *token = token_hs256(claims);
	free(claims);
	return token;
}

/* Keys for the test configuration, which the caller frees. */
static struct auth_keys *keys_hs256(void)
{
	struct config config = config_hs256();
	char error[512] = "";
	struct auth_keys *keys = auth_keys_new(&config, error, sizeof error);
	cr_assert_not_null(keys, "%s", error);
	return keys;
}

/* Verifies "Bearer <token>" with `keys` at `now`. */
static enum auth_result verify_at(struct auth_keys *keys, const char *token, time_t now, struct identity *identity)
{
	char *authorization = text_format("Bearer %s", token);
	const char *reason;
	enum auth_result result = auth_verify_bearer(keys, authorization, now, identity, &reason);
	free(authorization);
	return result;
}

Test(cache, a_cached_token_still_expires)
{
	struct auth_keys *keys = keys_hs256();
	struct identity identity;
	char *token = token_hs256_owned(text_format("{\"user_id\": \"t_abc123\", \"exp\": %lld}", (long long)NOW + 60));
	cr_assert_eq(verify_at(keys, token, NOW, &identity), AUTH_OK);
	cr_assert_eq(verify_at(keys, token, NOW + 60, &identity), AUTH_OK, "within the leeway");
	cr_expect_eq(verify_at(keys, token, NOW + 60 + 30, &identity), AUTH_INVALID,
		     "expired once exp and the leeway have passed, verified before or not");
	cr_expect_str_empty(identity.id);
	free(token);
	auth_keys_free(keys);
}

Test(cache, a_cached_token_is_not_valid_before_its_nbf)
{
	struct auth_keys *keys = keys_hs256();
	struct identity identity;
	char *token = token_hs256_owned(text_format("{\"user_id\": \"t_abc123\", \"exp\": %lld, \"nbf\": %lld}",
						    (long long)NOW + 600, (long long)NOW + 10));
	cr_assert_eq(verify_at(keys, token, NOW, &identity), AUTH_OK, "nbf within the leeway");
	cr_expect_eq(verify_at(keys, token, NOW - 25, &identity), AUTH_INVALID,
		     "earlier than nbf minus the leeway");
	free(token);
	auth_keys_free(keys);
}

Test(cache, a_token_differing_by_one_byte_is_verified_afresh)
{
	struct auth_keys *keys = keys_hs256();
	struct identity identity;
	char *token = token_hs256_owned(text_format("{\"user_id\": \"t_abc123\", \"exp\": %lld}", (long long)NOW + 60));
	cr_assert_eq(verify_at(keys, token, NOW, &identity), AUTH_OK);
	size_t length = strlen(token);
	token[length - 2] = token[length - 2] == 'A' ? 'B' : 'A';
	cr_expect_eq(verify_at(keys, token, NOW, &identity), AUTH_INVALID, "a tampered signature");
	free(token);
	auth_keys_free(keys);
}

Test(cache, each_set_of_keys_has_its_own)
{
	struct config config = config_hs256();
	char error[512] = "";
	struct auth_keys *keys = auth_keys_new(&config, error, sizeof error);
	struct config other = config_hs256();
	other.jwt_secret = (char *)"another secret of at least thirty-two bytes";
	struct auth_keys *other_keys = auth_keys_new(&other, error, sizeof error);
	struct identity identity;
	char *token = token_hs256_owned(text_format("{\"user_id\": \"t_abc123\", \"exp\": %lld}", (long long)NOW + 60));
	cr_assert(keys != NULL && other_keys != NULL, "%s", error);
	cr_assert_eq(verify_at(keys, token, NOW, &identity), AUTH_OK);
	cr_expect_eq(verify_at(other_keys, token, NOW, &identity), AUTH_INVALID);
	free(token);
	auth_keys_free(keys);
	auth_keys_free(other_keys);
}
