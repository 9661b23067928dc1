/*
 * Identifier formats: the shapes of therapist, patient and admin ids.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "ids.h"

static bool id_has_prefix_and_six(const char *id, char prefix)
{
	if (id == NULL || id[0] != prefix || id[1] != '_')
		return false;
	for (int i = 2; i < 8; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			return false;
	}
	return id[8] == '\0';
}

bool id_is_therapist(const char *id)
{
	return id_has_prefix_and_six(id, 't');
}

bool id_is_patient(const char *id)
{
	return id_has_prefix_and_six(id, 'p');
}

bool id_is_admin(const char *id)
{
	if (id == NULL)
		return false;
	size_t length = strlen(id);
	if (length == 0 || length > 64)
		return false;
	for (size_t i = 0; i < length; i++)
		if (id[i] < 0x21 || id[i] > 0x7e)
			return false;
	return true;
}

/* CHAT_t_xxxxxx_p_xxxxxx: the prefix, two ids of 8, and the separator. */
#define CHAT_PREFIX "CHAT_"
#define CHAT_ID_LENGTH (sizeof CHAT_PREFIX - 1 + 8 + 1 + 8)

bool id_is_chat(const char *id)
{
	char therapist[9], patient[9];
	if (id == NULL || strlen(id) != CHAT_ID_LENGTH || strncmp(id, CHAT_PREFIX, 5) != 0 || id[13] != '_')
		return false;
	memcpy(therapist, id + 5, 8);
	therapist[8] = '\0';
	memcpy(patient, id + 14, 8);
	patient[8] = '\0';
	return id_is_therapist(therapist) && id_is_patient(patient);
}

bool id_chat_has_participant(const char *chat, const char *user)
{
	return strlen(user) == 8 && (strncmp(chat + 5, user, 8) == 0 || strncmp(chat + 14, user, 8) == 0);
}

bool id_is_message(const char *id)
{
	if (id == NULL || strncmp(id, "MSG_", 4) != 0)
		return false;
	size_t length = strlen(id);
	if (length < 5 || length > 64)
		return false;
	for (size_t i = 4; i < length; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

void id_new_message(char out[MESSAGE_ID_SIZE])
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char random[12];
	char suffix[sizeof random + 1];
	struct timespec now;
	if (getrandom(random, sizeof random, 0) != (ssize_t)sizeof random)
		abort();
	/* 252 is the largest multiple of 36 below 256: no letter is favoured. */
	for (size_t i = 0; i < sizeof random; i++) {
		while (random[i] >= 252)
			if (getrandom(&random[i], 1, 0) != 1)
				abort();
		suffix[i] = alphabet[random[i] % 36];
	}
	suffix[sizeof random] = '\0';
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(out, MESSAGE_ID_SIZE, "MSG_%lld_%s", (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000, suffix);
}
