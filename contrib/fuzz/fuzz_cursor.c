/*
 * List cursors and paging parameters. The first byte gives the number of
 * keys expected (0..5, one past CURSOR_KEYS_MAX) and the capacity handed
 * to base64url_decode; the rest is the cursor text, and is also used as a
 * whole query string for page_parse (limit and cursor).
 *
 * Functions: base64url_decode (and base64url_encode for the round trip),
 * cursor_decode (and cursor_encode for the round trip), page_parse.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base64url.h"
#include "cursor.h"
#include "fuzz_common.h"
#include "http.h"
#include "paging.h"

static void base64url(const uint8_t *data, size_t size, size_t capacity)
{
	/* Exactly `capacity` bytes, so that ASan sees any write past them. */
	unsigned char *out = malloc(capacity ? capacity : 1);
	size_t out_length = (size_t)-1;
	if (base64url_decode((const char *)data, size, out, capacity, &out_length)) {
		FUZZ_CHECK(out_length <= capacity);
		/* Strict decoding accepts only the canonical form. */
		char *again = base64url_encode(out, out_length);
		FUZZ_CHECK(strlen(again) == size && memcmp(again, data, size) == 0);
		free(again);
	}
	free(out);
}

static void cursor(const char *text, size_t count)
{
	char *keys[CURSOR_KEYS_MAX + 1] = {0};
	if (!cursor_decode(text, count, keys))
		return;
	FUZZ_CHECK(count <= CURSOR_KEYS_MAX);
	/* What decodes re-encodes to a cursor holding the same keys (unless
	 * json-c's escaping of '/' as "\/" made it longer than a cursor may
	 * be; the service's own keys, ids and timestamps, hold no '/'). */
	char *again = cursor_encode((const char *const *)keys, count);
	char *round[CURSOR_KEYS_MAX] = {0};
	if (strlen(again) <= CURSOR_LENGTH_MAX) {
		FUZZ_CHECK(cursor_decode(again, count, round));
		for (size_t i = 0; i < count; i++)
			FUZZ_CHECK(strcmp(keys[i], round[i]) == 0);
		cursor_keys_free(round, count);
	}
	cursor_keys_free(keys, count);
	free(again);
}

static void paging(const char *query_string, size_t count)
{
	/* A list of `count` sort keys, as the service's lists have. */
	const struct page_shape shape = {NULL, count, {0, 1, 2, 3}, {"k0", "k1", "k2", "k3"}};
	struct request request = {0};
	struct response response = {0};
	struct page page;
	request.query_string = strdup(query_string);
	if (request_parse_query(&request)) {
		bool ok = page_parse(&request, &shape, &page, &response);
		if (ok) {
			FUZZ_CHECK(page.limit >= 1 && page.limit <= PAGE_LIMIT_MAX);
			for (size_t i = 0; i < count; i++)
				FUZZ_CHECK(page.keys[i] != NULL);
		} else {
			FUZZ_CHECK(response.status == 400 && response.body != NULL);
		}
		page_free(&page);
	}
	response_free(&response);
	request_free(&request);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t count = data[0] % (CURSOR_KEYS_MAX + 2);
	size_t capacity = (data[0] & 0x80) ? (size - 1) * 3 / 4 : (size - 1) / 2;
	const uint8_t *rest = data + 1;
	size_t length = size - 1;

	base64url(rest, length, capacity);

	char *text = fuzz_copy(rest, length);
	cursor(text, count);
	/* page_parse is only ever given a key count its page can hold. */
	paging(text, count % (CURSOR_KEYS_MAX + 1));
	free(text);
	return 0;
}
