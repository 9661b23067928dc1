/*
 * Base64url without padding.
 */
#include <stdlib.h>

#include "base64url.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *base64url_encode(const unsigned char *data, size_t length)
{
	char *out = malloc(length / 3 * 4 + 5);
	size_t used = 0;
	if (out == NULL)
		abort();
	for (size_t i = 0; i < length; i += 3) {
		unsigned long group = (unsigned long)data[i] << 16;
		if (i + 1 < length)
			group |= (unsigned long)data[i + 1] << 8;
		if (i + 2 < length)
			group |= data[i + 2];
		out[used++] = alphabet[(group >> 18) & 63];
		out[used++] = alphabet[(group >> 12) & 63];
		if (i + 1 < length)
			out[used++] = alphabet[(group >> 6) & 63];
		if (i + 2 < length)
			out[used++] = alphabet[group & 63];
	}
	out[used] = '\0';
	return out;
}

static int sextet(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

bool base64url_is_digit(char c)
{
	return sextet(c) >= 0;
}

bool base64url_decode(const char *text, size_t length, unsigned char *out, size_t capacity, size_t *out_length)
{
	unsigned long bits = 0;
	int bit_count = 0;
	size_t count = 0;
	/* A lone character past a whole group cannot hold a byte. */
	if (length % 4 == 1 || length / 4 * 3 + (length % 4 ? length % 4 - 1 : 0) > capacity)
		return false;
	for (size_t i = 0; i < length; i++) {
		int value = sextet(text[i]);
		if (value < 0)
			return false;
		bits = (bits << 6) | (unsigned long)value;
		bit_count += 6;
		if (bit_count >= 8) {
			bit_count -= 8;
			out[count++] = (unsigned char)(bits >> bit_count);
			bits &= (1UL << bit_count) - 1;
		}
	}
	/* The unused low bits of the last character must be zero. */
	if (bits != 0)
		return false;
	*out_length = count;
	return true;
}
