/*
 * A worker's cache of the bearer tokens it has verified: a client sends the
 * same token with every request, and its signature and claims need checking
 * once, not each time. An entry holds the identity the token gave and the
 * span of time in which its time claims (exp, nbf, iat, with the leeway)
 * pass; outside that span, or for any other token, it does not answer.
 */
#ifndef TCCHAT_TOKEN_CACHE_H
#define TCCHAT_TOKEN_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"

/* Every worker sees every user, so the cache is sized for a clinic's
 * active users at once: 600 users share 256 slots and hit about 40 % of
 * the time, but 4096 slots about 93 %. An empty slot costs a pointer; a
 * full one about 100 bytes and its token. */
#define TOKEN_CACHE_SLOTS 4096

struct token_cache_entry;

struct token_cache {
	struct token_cache_entry *entries[TOKEN_CACHE_SLOTS];
};

/* True, filling `identity`, when `token` was verified and `now` lies in
 * the span of its time claims. */
bool token_cache_lookup(const struct token_cache *cache, const char *token, size_t length, int64_t now,
			struct identity *identity);

/* Remembers a verified token (replacing what its slot held). */
void token_cache_store(struct token_cache *cache, const char *token, size_t length,
		       const struct identity *identity, int64_t valid_from, int64_t valid_until);

/* Forgets everything; the cache may be used again. */
void token_cache_clear(struct token_cache *cache);

#endif
