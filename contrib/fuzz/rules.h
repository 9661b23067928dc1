/*
 * The field rule tables of the endpoints, for the fuzz harnesses. The real
 * tables are static inside src/chats.c, src/rooms.c and src/messages.c, so
 * these mirror them row for row (same names, kinds, flags and limits); the
 * last body set adds what no endpoint uses yet, so that every field kind is
 * exercised with every flag. Keep in step with src/ when a table changes.
 */
#ifndef TCCHAT_FUZZ_RULES_H
#define TCCHAT_FUZZ_RULES_H

#include <stddef.h>

#include "validate.h"

struct rule_set {
	const char *name;
	const struct field_rule *rules;
	size_t count;
};

#define RULE_SET(name, table) {name, table, sizeof table / sizeof table[0]}

static const char *const fuzz_chat_orderings[] = {"priority", NULL};
static const char *const fuzz_message_orders[] = {"asc", "desc", NULL};

/* ------------------------------------------------------------ bodies */

/* src/chats.c */
static const struct field_rule chats_create_rules[] = {
	{"therapist_id", FIELD_THERAPIST_ID, .required = true},
	{"patient_id", FIELD_PATIENT_ID, .required = true},
	{"status", FIELD_CHOICE, .choices = chat_statuses},
};
static const struct field_rule chats_user_rules[] = {{.name = "user_id", .kind = FIELD_USER_ID}};
static const struct field_rule chats_put_rules[] = {
	{"status", FIELD_CHOICE, .required = true, .choices = chat_statuses},
	{"therapist_notifications", FIELD_BOOLEAN},
	{"patient_notifications", FIELD_BOOLEAN},
};
static const struct field_rule chats_patch_rules[] = {
	{"status", FIELD_CHOICE, .choices = chat_statuses},
	{"therapist_notifications", FIELD_BOOLEAN},
	{"patient_notifications", FIELD_BOOLEAN},
};
static const struct field_rule chats_delete_rules[] = {{.name = "purge", .kind = FIELD_BOOLEAN}};
static const struct field_rule chats_status_rules[] = {
	{"status", FIELD_CHOICE, .required = true, .choices = chat_statuses},
};
static const struct field_rule chats_toggle_rules[] = {
	{"user_id", FIELD_USER_ID},
	{"notifications_enabled", FIELD_BOOLEAN},
};

/* src/rooms.c (description at most DESCRIPTION_MAX = 2000) */
#define FUZZ_ROOM_WRITABLE_RULES                                                          \
	{"therapist_can_send", FIELD_BOOLEAN},                                            \
	{"patient_can_send", FIELD_BOOLEAN},                                              \
	{"therapist_can_see_history", FIELD_BOOLEAN},                                     \
	{"patient_can_see_history", FIELD_BOOLEAN},                                       \
	{"description", FIELD_STRING, .nullable = true, .max_length = 2000},              \
	{"tags", FIELD_TAGS},                                                             \
	{"is_active", FIELD_BOOLEAN},                                                     \
	{"is_archived", FIELD_BOOLEAN}
static const struct field_rule rooms_create_rules[] = {
	{"room_type", FIELD_CHOICE, .choices = room_types},
	FUZZ_ROOM_WRITABLE_RULES,
	{"chat_id", FIELD_CHAT_ID, .required = true},
};
static const struct field_rule rooms_put_rules[] = {
	{"room_type", FIELD_CHOICE, .required = true, .choices = room_types},
	FUZZ_ROOM_WRITABLE_RULES,
};
static const struct field_rule rooms_patch_rules[] = {
	{"room_type", FIELD_CHOICE, .choices = room_types},
	FUZZ_ROOM_WRITABLE_RULES,
};
static const struct field_rule rooms_permission_rules[] = {
	{.name = "therapist_can_send", .kind = FIELD_BOOLEAN},
	{.name = "patient_can_send", .kind = FIELD_BOOLEAN},
	{.name = "therapist_can_see_history", .kind = FIELD_BOOLEAN},
	{.name = "patient_can_see_history", .kind = FIELD_BOOLEAN},
};

/* src/messages.c (text at most TEXT_MAX = 10000) */
static const struct field_rule messages_send_rules[] = {
	{"chat_id", FIELD_CHAT_ID, .required = true},
	{"text", FIELD_STRING, .required = true, .min_length = 1, .max_length = 10000},
	{"message_type", FIELD_CHOICE, .choices = message_types},
	{"emergency", FIELD_BOOLEAN},
	{"reply_to", FIELD_MESSAGE_ID, .nullable = true},
	{"attachment_url", FIELD_STRING, .nullable = true, .min_length = 1, .max_length = 2048},
	{"attachment_name", FIELD_STRING, .nullable = true, .max_length = 255},
	{"attachment_size", FIELD_COUNT, .nullable = true},
};
static const struct field_rule messages_put_rules[] = {
	{"text", FIELD_STRING, .required = true, .min_length = 1, .max_length = 10000},
	{"emergency", FIELD_BOOLEAN},
};
static const struct field_rule messages_patch_rules[] = {
	{"text", FIELD_STRING, .min_length = 1, .max_length = 10000},
	{"emergency", FIELD_BOOLEAN},
};
static const struct field_rule messages_mark_read_rules[] = {{.name = "user_id", .kind = FIELD_USER_ID}};

/* Every kind, required and nullable variants, short string bounds. */
static const struct field_rule every_kind_rules[] = {
	{"s", FIELD_STRING, .required = true, .min_length = 2, .max_length = 5},
	{"b", FIELD_BOOLEAN, .nullable = true},
	{"c", FIELD_CHOICE, .choices = read_statuses, .nullable = true},
	{"t", FIELD_THERAPIST_ID, .required = true},
	{"p", FIELD_PATIENT_ID, .nullable = true},
	{"u", FIELD_USER_ID},
	{"chat", FIELD_CHAT_ID, .nullable = true},
	{"any", FIELD_ANY_USER_ID, .required = true},
	{"m", FIELD_MESSAGE_ID},
	{"n", FIELD_COUNT, .required = true},
	{"tags", FIELD_TAGS, .nullable = true},
	{"open", FIELD_STRING},
	{"blank", FIELD_STRING, .min_length = 1},
	{"k", FIELD_KIND__MAX},
	{"x1", FIELD_BOOLEAN}, {"x2", FIELD_COUNT},
};

static const struct rule_set body_rule_sets[] = {
	RULE_SET("chats_create", chats_create_rules),
	RULE_SET("chats_user", chats_user_rules),
	RULE_SET("chats_put", chats_put_rules),
	RULE_SET("chats_patch", chats_patch_rules),
	RULE_SET("chats_delete", chats_delete_rules),
	RULE_SET("chats_status", chats_status_rules),
	RULE_SET("chats_toggle", chats_toggle_rules),
	RULE_SET("rooms_create", rooms_create_rules),
	RULE_SET("rooms_put", rooms_put_rules),
	RULE_SET("rooms_patch", rooms_patch_rules),
	RULE_SET("rooms_permissions", rooms_permission_rules),
	RULE_SET("messages_send", messages_send_rules),
	RULE_SET("messages_put", messages_put_rules),
	RULE_SET("messages_patch", messages_patch_rules),
	RULE_SET("messages_mark_read", messages_mark_read_rules),
	RULE_SET("every_kind", every_kind_rules),
};
#define BODY_RULE_SET_COUNT (sizeof body_rule_sets / sizeof body_rule_sets[0])

/* ------------------------------------------------------------ queries */

static const struct field_rule chats_list_rules[] = {
	{"therapist_id", FIELD_THERAPIST_ID},
	{"patient_id", FIELD_PATIENT_ID},
	{"status", FIELD_CHOICE, .choices = chat_statuses},
	{"user_id", FIELD_USER_ID},
	{"ordering", FIELD_CHOICE, .choices = fuzz_chat_orderings},
};
static const struct field_rule rooms_list_rules[] = {
	{"room_type", FIELD_CHOICE, .choices = room_types},
	{"is_active", FIELD_BOOLEAN},
	{"is_archived", FIELD_BOOLEAN},
	{"chat_id", FIELD_CHAT_ID},
};
static const struct field_rule messages_list_rules[] = {
	{"chat_id", FIELD_CHAT_ID},
	{"sender_id", FIELD_ANY_USER_ID},
	{"emergency", FIELD_BOOLEAN},
	{"message_type", FIELD_CHOICE, .choices = message_types},
	{"read_status", FIELD_CHOICE, .choices = read_statuses},
	{"exclude_deleted", FIELD_BOOLEAN},
	{"before", FIELD_MESSAGE_ID},
	{"after", FIELD_MESSAGE_ID},
	{"q", FIELD_STRING, .min_length = 1, .max_length = 200},
	{"order", FIELD_CHOICE, .choices = fuzz_message_orders},
};
static const struct field_rule messages_unread_rules[] = {
	{"user_id", FIELD_USER_ID},
	{"chat_id", FIELD_CHAT_ID},
};

static const struct rule_set query_rule_sets[] = {
	RULE_SET("chats_list", chats_list_rules),
	RULE_SET("rooms_list", rooms_list_rules),
	RULE_SET("messages_list", messages_list_rules),
	RULE_SET("messages_unread", messages_unread_rules),
	RULE_SET("chats_user", chats_user_rules),
	RULE_SET("every_kind", every_kind_rules),
};
#define QUERY_RULE_SET_COUNT (sizeof query_rule_sets / sizeof query_rule_sets[0])

#endif
