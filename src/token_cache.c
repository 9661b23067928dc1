/*
 * The verified-token cache: direct-mapped by an FNV-1a hash of the token,
 * each slot compared byte for byte before it answers.
 */
#include <stdlib.h>
#include <string.h>

#include "token_cache.h"

static uint64_t token_hash(const char *token, size_t length)
{
	uint64_t hash = 14695981039346656037ULL;
	for (size_t i = 0; i < length; i++) {
		hash ^= (unsigned char)token[i];
		hash *= 1099511628211ULL;
	}
	return hash;
}

bool token_cache_lookup(const struct token_cache *cache, const char *token, size_t length, int64_t now,
			struct identity *identity)
{
	uint64_t hash = token_hash(token, length);
	const struct token_cache_entry *entry = &cache->entries[hash % TOKEN_CACHE_SLOTS];
	if (entry->token == NULL || entry->hash != hash || entry->length != length ||
	    memcmp(entry->token, token, length) != 0 || now < entry->valid_from || now >= entry->valid_until)
		return false;
	*identity = entry->identity;
	return true;
}

void token_cache_store(struct token_cache *cache, const char *token, size_t length,
		       const struct identity *identity, int64_t valid_from, int64_t valid_until)
{
	uint64_t hash = token_hash(token, length);
	struct token_cache_entry *entry = &cache->entries[hash % TOKEN_CACHE_SLOTS];
	char *copy = malloc(length);
	if (copy == NULL)
		return;
	memcpy(copy, token, length);
	free(entry->token);
	*entry = (struct token_cache_entry){hash, copy, length, *identity, valid_from, valid_until};
}

void token_cache_clear(struct token_cache *cache)
{
	for (size_t i = 0; i < TOKEN_CACHE_SLOTS; i++) {
		free(cache->entries[i].token);
		cache->entries[i] = (struct token_cache_entry){0};
	}
}
