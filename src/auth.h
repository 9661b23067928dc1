/*
 * Bearer token verification (API.md section 2): the algorithm is pinned by
 * configuration, claims are checked with leeway, and the caller's identity
 * (id and role) is derived from the token alone.
 */
#ifndef TCCHAT_AUTH_H
#define TCCHAT_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "config.h"

enum role {
	ROLE_THERAPIST,
	ROLE_PATIENT,
	ROLE_ADMIN,
	ROLE__MAX
};

extern const char *const role_names[ROLE__MAX];

#define IDENTITY_ID_MAX 64

struct identity {
	char id[IDENTITY_ID_MAX + 1];
	enum role role;
};

enum auth_result {
	AUTH_OK,
	AUTH_MISSING,   /* no Authorization: Bearer header → not_authenticated */
	AUTH_INVALID,   /* anything wrong with the token  → invalid_token */
	AUTH_RESULT__MAX
};

/* Verification keys and claim rules, loaded once at start-up. */
struct auth_keys;

/* Reads the secret or public key file named by `config` and copies the claim
 * rules, so `config` may be freed afterwards. Returns NULL and writes a
 * sentence naming the setting into `error` when the key cannot be used.
 * auth_keys_free(NULL) is a no-op. */
struct auth_keys *auth_keys_new(const struct config *config, char *error, size_t error_size);
void auth_keys_free(struct auth_keys *keys);

/*
 * Verifies the value of an Authorization header (may be NULL) at time `now`.
 * On AUTH_OK fills `identity`; otherwise clears it. The reason for a
 * rejection is never shown to the client; `reason` (may be NULL) receives a
 * short static phrase for the debug log that never contains the token itself.
 */
enum auth_result auth_verify_bearer(struct auth_keys *keys, const char *authorization,
				    time_t now, struct identity *identity, const char **reason);

#endif
