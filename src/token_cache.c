/*
 * The verified-token cache: direct-mapped by an FNV-1a hash of the token,
 * each slot compared byte for byte before it answers. Entries are
 * allocated as tokens arrive, so that the slots a worker never uses cost
 * no memory.
 */
#include <stdlib.h>
#include <string.h>

#include "token_cache.h"

struct token_cache_entry {
	uint64_t hash;
	struct identity identity;
	int64_t valid_from;       /* unix seconds, inclusive */
	int64_t valid_until;      /* unix seconds, exclusive */
	size_t length;
	char token[];
};

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
	const struct token_cache_entry *entry = cache->entries[hash % TOKEN_CACHE_SLOTS];
	if (entry == NULL || entry->hash != hash || entry->length != length ||
	    memcmp(entry->token, token, length) != 0 || now < entry->valid_from || now >= entry->valid_until)
		return false;
	*identity = entry->identity;
	return true;
}

void token_cache_store(struct token_cache *cache, const char *token, size_t length,
		       const struct identity *identity, int64_t valid_from, int64_t valid_until)
{
	uint64_t hash = token_hash(token, length);
	struct token_cache_entry **slot = &cache->entries[hash % TOKEN_CACHE_SLOTS];
	struct token_cache_entry *entry = malloc(sizeof *entry + length);
	if (entry == NULL)
		return;
	*entry = (struct token_cache_entry){hash, *identity, valid_from, valid_until, length};
	memcpy(entry->token, token, length);
	free(*slot);
	*slot = entry;
}

void token_cache_clear(struct token_cache *cache)
{
	for (size_t i = 0; i < TOKEN_CACHE_SLOTS; i++) {
		free(cache->entries[i]);
		cache->entries[i] = NULL;
	}
}
