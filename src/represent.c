/*
 * The JSON representations, written straight into a buffer from the text
 * columns PostgreSQL returns: no intermediate objects, one pass per row.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "columns.h"
#include "represent.h"

/* An object being written: fields after the first are comma-separated. */
struct object {
	struct buf *out;
	bool started;
};

static struct object object_begin(struct buf *out)
{
	buf_append_char(out, '{');
	return (struct object){out, false};
}

static void object_end(struct object *object)
{
	buf_append_char(object->out, '}');
}

/* A key as written, quoted and with its colon, and its length: the keys
 * are literals, so they cost no work per row. */
#define KEY(name) "\"" name "\":", sizeof("\"" name "\":") - 1

/* Starts a field: the comma before all but the first, then its key.
 * Returns where its value goes, with room for `value_room` bytes: one
 * check for room per field. */
static char *field_start(struct object *object, const char *key, size_t key_length, size_t value_room)
{
	char *at = buf_space(object->out, 1 + key_length + value_room);
	if (object->started)
		*at++ = ',';
	object->started = true;
	memcpy(at, key, key_length);
	return at + key_length;
}

static void object_key(struct object *object, const char *key, size_t length)
{
	buf_commit(object->out, field_start(object, key, length, 0));
}

/* ---------------------------------------------------------------- values */

/* The bytes a JSON string must escape: the control characters, '"' and
 * '\\'. Text runs between them are copied whole. */
static const bool must_escape[256] = {
	[0x00] = true, [0x01] = true, [0x02] = true, [0x03] = true, [0x04] = true, [0x05] = true,
	[0x06] = true, [0x07] = true, [0x08] = true, [0x09] = true, [0x0a] = true, [0x0b] = true,
	[0x0c] = true, [0x0d] = true, [0x0e] = true, [0x0f] = true, [0x10] = true, [0x11] = true,
	[0x12] = true, [0x13] = true, [0x14] = true, [0x15] = true, [0x16] = true, [0x17] = true,
	[0x18] = true, [0x19] = true, [0x1a] = true, [0x1b] = true, [0x1c] = true, [0x1d] = true,
	[0x1e] = true, [0x1f] = true, ['"'] = true, ['\\'] = true,
};

#define EVERY_BYTE(b) (0x0101010101010101ULL * (b))

/* Whether any of the 8 bytes of `word` must be escaped: below 0x20 (NUL
 * among them), '"' or '\\'. Bit tricks from "Bit Twiddling Hacks": a
 * byte-wise subtraction borrows into a byte's top bit exactly where the
 * byte was smaller; bytes of 0x80 and above (UTF-8) never match. */
static inline bool word_must_escape(uint64_t word)
{
	uint64_t below_space = (word - EVERY_BYTE(0x20)) & ~word;
	uint64_t quote = word ^ EVERY_BYTE('"'), backslash = word ^ EVERY_BYTE('\\');
	uint64_t is_quote = (quote - EVERY_BYTE(1)) & ~quote;
	uint64_t is_backslash = (backslash - EVERY_BYTE(1)) & ~backslash;
	return ((below_space | is_quote | is_backslash) & EVERY_BYTE(0x80)) != 0;
}

/* The length of the start of `text` that needs no escape, checked 8 bytes
 * at a time. */
static size_t plain_length(const unsigned char *text, size_t length)
{
	size_t plain = 0;
	uint64_t word;
	while (length - plain >= 8 && (memcpy(&word, text + plain, 8), !word_must_escape(word)))
		plain += 8;
	while (plain < length && !must_escape[text[plain]])
		plain++;
	return plain;
}

/* Appends the `length` bytes of `text` with what JSON strings must escape
 * escaped, the runs between escapes copied whole. */
static void append_escaped(struct buf *out, const char *text, size_t length)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)text, *end = p + length;
	for (;;) {
		size_t plain = plain_length(p, (size_t)(end - p));
		buf_append(out, (const char *)p, plain);
		p += plain;
		if (p == end)
			return;
		switch (*p) {
		case '"': buf_append(out, "\\\"", 2); break;
		case '\\': buf_append(out, "\\\\", 2); break;
		case '\n': buf_append(out, "\\n", 2); break;
		case '\r': buf_append(out, "\\r", 2); break;
		case '\t': buf_append(out, "\\t", 2); break;
		default: {
			char escaped[] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
			buf_append(out, escaped, sizeof escaped);
		}
		}
		p++;
	}
}

/* Writes `text` (`length` bytes) as a JSON string at `at`, which has room
 * for it as it is and its quotes: most text needs no escape and is copied
 * in one piece. */
static void put_string(struct buf *out, char *at, const char *text, size_t length)
{
	size_t plain = plain_length((const unsigned char *)text, length);
	*at++ = '"';
	memcpy(at, text, plain);
	at += plain;
	if (plain < length) {
		buf_commit(out, at);
		append_escaped(out, text + plain, length - plain);
		at = buf_space(out, 1);
	}
	*at++ = '"';
	buf_commit(out, at);
}

void represent_string(struct buf *out, const char *text)
{
	if (text == NULL) {
		buf_append(out, "null", 4);
		return;
	}
	size_t length = strlen(text);
	put_string(out, buf_space(out, length + 2), text, length);
}

/* The longest timestamp as written: "YYYY-MM-DDTHH:MM:SS.ffffffZ", quoted. */
#define TIME_JSON_MAX 29

/* Writes into `stamp` the RFC 3339 form of a UTC timestamp as PostgreSQL
 * prints it, "YYYY-MM-DD HH:MM:SS" [".f{1,6}"] ["+00"], with or without
 * its time zone; returns its length, or 0 for any other form. */
static size_t format_time(char stamp[TIME_JSON_MAX], const char *text)
{
	size_t length = strlen(text);
	if (length >= 3 && strcmp(text + length - 3, "+00") == 0)
		length -= 3;
	if (length < 19 || length > 26 || text[10] != ' ' || (length > 19 && text[19] != '.'))
		return 0;
	memcpy(stamp, "\"0000-00-00T00:00:00.000000Z\"", TIME_JSON_MAX);
	memcpy(stamp + 1, text, 10);
	memcpy(stamp + 12, text + 11, 8);
	if (length > 20)
		memcpy(stamp + 21, text + 20, length - 20);
	return TIME_JSON_MAX;
}

void represent_time(struct buf *out, const char *text)
{
	char stamp[TIME_JSON_MAX];
	if (text == NULL)
		buf_append(out, "null", 4);
	else if (format_time(stamp, text) > 0)
		buf_append(out, stamp, TIME_JSON_MAX);
	else
		represent_string(out, text);
}

/* Writes `value` in decimal into `out` (room for any long). */
static void format_long(char out[24], long value)
{
	char digits[24];
	size_t count = 0;
	unsigned long magnitude = value < 0 ? 0UL - (unsigned long)value : (unsigned long)value;
	do {
		digits[count++] = (char)('0' + magnitude % 10);
		magnitude /= 10;
	} while (magnitude > 0);
	size_t used = 0;
	if (value < 0)
		out[used++] = '-';
	while (count > 0)
		out[used++] = digits[--count];
	out[used] = '\0';
}

/* A column's text, or NULL for SQL NULL (which libpq gives as ""). */
static const char *column(const PGresult *result, int row, int index)
{
	const char *value = PQgetvalue(result, row, index);
	return value[0] == '\0' && PQgetisnull(result, row, index) ? NULL : value;
}

/* A field whose value is `length` bytes written as they are. */
static void field_verbatim(struct object *object, const char *key, size_t key_length, const char *value,
			   size_t length)
{
	char *at = field_start(object, key, key_length, length);
	memcpy(at, value, length);
	buf_commit(object->out, at + length);
}

#define LITERAL(text) text, sizeof text - 1

static void field_string(struct object *object, const char *key, size_t key_length, const char *text)
{
	if (text == NULL) {
		field_verbatim(object, key, key_length, LITERAL("null"));
		return;
	}
	size_t length = strlen(text);
	put_string(object->out, field_start(object, key, key_length, length + 2), text, length);
}

static void field_time(struct object *object, const char *key, size_t key_length, const char *text)
{
	char stamp[TIME_JSON_MAX];
	if (text == NULL)
		field_verbatim(object, key, key_length, LITERAL("null"));
	else if (format_time(stamp, text) > 0)
		field_verbatim(object, key, key_length, stamp, TIME_JSON_MAX);
	else
		field_string(object, key, key_length, text);
}

/* A boolean column ("t"/"f"), or null. */
static void field_boolean(struct object *object, const char *key, size_t key_length, const char *text)
{
	if (text == NULL)
		field_verbatim(object, key, key_length, LITERAL("null"));
	else if (text[0] == 't')
		field_verbatim(object, key, key_length, LITERAL("true"));
	else
		field_verbatim(object, key, key_length, LITERAL("false"));
}

/* An integer column, or null; also any text that is JSON already. */
static void field_raw(struct object *object, const char *key, size_t key_length, const char *text)
{
	if (text == NULL)
		field_verbatim(object, key, key_length, LITERAL("null"));
	else
		field_verbatim(object, key, key_length, text, strlen(text));
}

/* "first last", as the original service joins them. */
static void field_full_name(struct object *object, const char *key, size_t length, const char *first,
			    const char *last)
{
	object_key(object, key, length);
	buf_append_char(object->out, '"');
	append_escaped(object->out, first ? first : "", first ? strlen(first) : 0);
	buf_append_char(object->out, ' ');
	append_escaped(object->out, last ? last : "", last ? strlen(last) : 0);
	buf_append_char(object->out, '"');
}

/* ---------------------------------------------------------------- chats */

void represent_chat(struct buf *out, const PGresult *result, int row, int first, const struct identity *caller,
		    bool detail)
{
#define CHAT(index) column(result, row, first + (index))
	const char *therapist = CHAT(CHAT_THERAPIST_ID), *patient = CHAT(CHAT_PATIENT_ID);
	bool is_therapist = therapist && strcmp(caller->id, therapist) == 0;
	bool is_patient = patient && strcmp(caller->id, patient) == 0;
	const char *unread = is_therapist ? CHAT(CHAT_THERAPIST_UNREAD_COUNT)
			     : is_patient ? CHAT(CHAT_PATIENT_UNREAD_COUNT) : "0";
	bool emergency = CHAT(CHAT_HAS_UNREAD_EMERGENCY) && CHAT(CHAT_HAS_UNREAD_EMERGENCY)[0] == 't';
	char priority[24];
	format_long(priority, (emergency ? 1000L : 0L) + strtol(unread, NULL, 10));

	struct object chat = object_begin(out);
	field_string(&chat, KEY("id"), CHAT(CHAT_ID));
	field_string(&chat, KEY("therapist_id"), therapist);
	field_string(&chat, KEY("therapist_first_name"), CHAT(CHAT_THERAPIST_FIRST_NAME));
	field_string(&chat, KEY("therapist_last_name"), CHAT(CHAT_THERAPIST_LAST_NAME));
	field_string(&chat, KEY("patient_id"), patient);
	field_string(&chat, KEY("patient_first_name"), CHAT(CHAT_PATIENT_FIRST_NAME));
	field_string(&chat, KEY("patient_last_name"), CHAT(CHAT_PATIENT_LAST_NAME));
	field_string(&chat, KEY("status"), CHAT(CHAT_STATUS));
	field_string(&chat, KEY("last_message_text"), CHAT(CHAT_LAST_MESSAGE_TEXT));
	field_time(&chat, KEY("last_message_timestamp"), CHAT(CHAT_LAST_MESSAGE_TIMESTAMP));
	field_string(&chat, KEY("last_message_sender_id"), CHAT(CHAT_LAST_MESSAGE_SENDER_ID));
	field_raw(&chat, KEY("therapist_unread_count"), CHAT(CHAT_THERAPIST_UNREAD_COUNT));
	field_raw(&chat, KEY("patient_unread_count"), CHAT(CHAT_PATIENT_UNREAD_COUNT));
	field_time(&chat, KEY("updated_at"), CHAT(CHAT_UPDATED_AT));
	field_full_name(&chat, KEY("therapist_full_name"), CHAT(CHAT_THERAPIST_FIRST_NAME), CHAT(CHAT_THERAPIST_LAST_NAME));
	field_full_name(&chat, KEY("patient_full_name"), CHAT(CHAT_PATIENT_FIRST_NAME), CHAT(CHAT_PATIENT_LAST_NAME));
	field_raw(&chat, KEY("unread_count"), unread);
	field_raw(&chat, KEY("has_unread_emergency"), emergency ? "true" : "false");
	field_raw(&chat, KEY("priority_score"), priority);
	if (detail) {
		field_boolean(&chat, KEY("therapist_notifications"), CHAT(CHAT_THERAPIST_NOTIFICATIONS));
		field_boolean(&chat, KEY("patient_notifications"), CHAT(CHAT_PATIENT_NOTIFICATIONS));
		field_time(&chat, KEY("created_at"), CHAT(CHAT_CREATED_AT));
		object_key(&chat, KEY("other_participant"));
		if (!is_therapist && !is_patient) {
			buf_append_str(out, "null");
		} else {
			int other = is_therapist ? CHAT_PATIENT_ID : CHAT_THERAPIST_ID;
			struct object participant = object_begin(out);
			field_string(&participant, KEY("id"), CHAT(other));
			field_string(&participant, KEY("first_name"), CHAT(other + 1));
			field_string(&participant, KEY("last_name"), CHAT(other + 2));
			field_full_name(&participant, KEY("full_name"), CHAT(other + 1), CHAT(other + 2));
			object_end(&participant);
		}
	}
	object_end(&chat);
#undef CHAT
}

/* ---------------------------------------------------------------- rooms */

void represent_room(struct buf *out, const PGresult *result, int row, int first, const struct identity *caller,
		    bool detail)
{
#define ROOM(index) column(result, row, first + (index))
	struct object room = object_begin(out);
	field_string(&room, KEY("id"), ROOM(ROOM_ID));
	field_string(&room, KEY("chat_id"), ROOM(ROOM_CHAT_ID));
	field_string(&room, KEY("room_type"), ROOM(ROOM_ROOM_TYPE));
	field_boolean(&room, KEY("is_active"), ROOM(ROOM_IS_ACTIVE));
	field_boolean(&room, KEY("is_archived"), ROOM(ROOM_IS_ARCHIVED));
	field_time(&room, KEY("updated_at"), ROOM(ROOM_UPDATED_AT));
	if (detail) {
		object_key(&room, KEY("chat"));
		represent_chat(out, result, row, first + ROOM__COLUMNS, caller, true);
		field_boolean(&room, KEY("therapist_can_send"), ROOM(ROOM_THERAPIST_CAN_SEND));
		field_boolean(&room, KEY("patient_can_send"), ROOM(ROOM_PATIENT_CAN_SEND));
		field_boolean(&room, KEY("therapist_can_see_history"), ROOM(ROOM_THERAPIST_CAN_SEE_HISTORY));
		field_boolean(&room, KEY("patient_can_see_history"), ROOM(ROOM_PATIENT_CAN_SEE_HISTORY));
		field_string(&room, KEY("description"), ROOM(ROOM_DESCRIPTION));
		field_raw(&room, KEY("tags"), ROOM(ROOM_TAGS));
		field_time(&room, KEY("created_at"), ROOM(ROOM_CREATED_AT));
	}
	object_end(&room);
#undef ROOM
}

/* ---------------------------------------------------------------- messages */

void represent_message(struct buf *out, const PGresult *result, int row, int first,
		       const struct identity *caller, bool detail, bool delivered)
{
#define MESSAGE(index) column(result, row, first + (index))
	bool deleted = MESSAGE(MESSAGE_DELETED) && MESSAGE(MESSAGE_DELETED)[0] == 't';
	/* A deleted message's text is kept for admins alone. */
	bool hide_text = deleted && caller->role != ROLE_ADMIN;
	struct object message = object_begin(out);
	field_string(&message, KEY("id"), MESSAGE(MESSAGE_ID));
	field_string(&message, KEY("chat_id"), MESSAGE(MESSAGE_CHAT_ID));
	field_string(&message, KEY("sender_id"), MESSAGE(MESSAGE_SENDER_ID));
	field_string(&message, KEY("text"), hide_text ? NULL : MESSAGE(MESSAGE_TEXT));
	field_boolean(&message, KEY("emergency"), MESSAGE(MESSAGE_EMERGENCY));
	field_string(&message, KEY("message_type"), MESSAGE(MESSAGE_TYPE));
	field_string(&message, KEY("read_status"), delivered ? "delivered" : MESSAGE(MESSAGE_READ_STATUS));
	field_string(&message, KEY("reply_to"), MESSAGE(MESSAGE_REPLY_TO));
	field_boolean(&message, KEY("edited"), MESSAGE(MESSAGE_EDITED));
	field_boolean(&message, KEY("deleted"), MESSAGE(MESSAGE_DELETED));
	field_time(&message, KEY("timestamp"), MESSAGE(MESSAGE_TIMESTAMP));
	field_string(&message, KEY("sender_name"), MESSAGE(MESSAGE_SENDER_NAME));
	if (detail) {
		field_string(&message, KEY("attachment_url"), MESSAGE(MESSAGE_ATTACHMENT_URL));
		field_string(&message, KEY("attachment_name"), MESSAGE(MESSAGE_ATTACHMENT_NAME));
		field_raw(&message, KEY("attachment_size"), MESSAGE(MESSAGE_ATTACHMENT_SIZE));
		field_time(&message, KEY("read_at"), MESSAGE(MESSAGE_READ_AT));
		field_string(&message, KEY("read_by"), MESSAGE(MESSAGE_READ_BY));
		field_string(&message, KEY("reply_to_text"), MESSAGE(MESSAGE_REPLY_TO_TEXT));
		field_time(&message, KEY("edited_at"), MESSAGE(MESSAGE_EDITED_AT));
		field_time(&message, KEY("deleted_at"), MESSAGE(MESSAGE_DELETED_AT));
		field_string(&message, KEY("deleted_by"), MESSAGE(MESSAGE_DELETED_BY));
	}
	object_end(&message);
#undef MESSAGE
}

void represent_edit(struct buf *out, const PGresult *result, int row, int first, const struct identity *caller)
{
	bool deleted = column(result, row, first + EDIT_MESSAGE_DELETED)[0] == 't';
	struct object edit = object_begin(out);
	field_string(&edit, KEY("text"),
		     deleted && caller->role != ROLE_ADMIN ? NULL : column(result, row, first + EDIT_PREVIOUS_TEXT));
	field_time(&edit, KEY("edited_at"), column(result, row, first + EDIT_EDITED_AT));
	field_string(&edit, KEY("edited_by"), column(result, row, first + EDIT_EDITED_BY));
	object_end(&edit);
}

void represent_chat_detail(struct buf *out, const PGresult *result, int first, const struct identity *caller)
{
	represent_chat(out, result, 0, first, caller, true);
}

void represent_room_detail(struct buf *out, const PGresult *result, int first, const struct identity *caller)
{
	represent_room(out, result, 0, first, caller, true);
}

void represent_message_detail(struct buf *out, const PGresult *result, int first, const struct identity *caller)
{
	represent_message(out, result, 0, first, caller, true, false);
}
