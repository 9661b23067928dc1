/*
 * The columns the JSON representations read, as SQL select lists and as C
 * indexes side by side, so that they change together. Each list is of text
 * columns in the order of its enum; statements.c selects them and
 * represent.c reads them. Timestamps are cast to timestamp without time
 * zone: in the session's time zone, UTC (db.c), that is the same instant,
 * and PostgreSQL prints it several times faster than a timestamptz.
 */
#ifndef TCCHAT_COLUMNS_H
#define TCCHAT_COLUMNS_H

/* A chat `c`, as seen by the caller $1: the list representation's
 * columns, then the detail's. A statement for lists selects
 * CHAT_LIST_COLUMNS alone. */
#define CHAT_LIST_COLUMNS                                                                           \
	"c.id, c.therapist_id, c.therapist_first_name, c.therapist_last_name,"                      \
	" c.patient_id, c.patient_first_name, c.patient_last_name, c.status,"                       \
	" c.last_message_text, c.last_message_timestamp::timestamp, c.last_message_sender_id,"      \
	" c.therapist_unread_count, c.patient_unread_count, c.updated_at::timestamp AS updated_at," \
	" CASE $1 WHEN c.therapist_id THEN c.therapist_unread_emergency_count > 0"                  \
	"  WHEN c.patient_id THEN c.patient_unread_emergency_count > 0 ELSE false END"              \
	"  AS has_unread_emergency"
#define CHAT_COLUMNS                                                                                \
	CHAT_LIST_COLUMNS ", c.therapist_notifications, c.patient_notifications, c.created_at::timestamp"

enum chat_column {
	CHAT_ID,
	CHAT_THERAPIST_ID,
	CHAT_THERAPIST_FIRST_NAME,
	CHAT_THERAPIST_LAST_NAME,
	CHAT_PATIENT_ID,
	CHAT_PATIENT_FIRST_NAME,
	CHAT_PATIENT_LAST_NAME,
	CHAT_STATUS,
	CHAT_LAST_MESSAGE_TEXT,
	CHAT_LAST_MESSAGE_TIMESTAMP,
	CHAT_LAST_MESSAGE_SENDER_ID,
	CHAT_THERAPIST_UNREAD_COUNT,
	CHAT_PATIENT_UNREAD_COUNT,
	CHAT_UPDATED_AT,
	CHAT_HAS_UNREAD_EMERGENCY,  /* from the other participant, unread by the caller */
	CHAT_LIST__COLUMNS,
	CHAT_THERAPIST_NOTIFICATIONS = CHAT_LIST__COLUMNS,
	CHAT_PATIENT_NOTIFICATIONS,
	CHAT_CREATED_AT,
	CHAT__COLUMNS
};

/* A chat room `r`. */
#define ROOM_COLUMNS                                                                                \
	"r.id, r.chat_id, r.room_type, r.is_active, r.is_archived, r.updated_at::timestamp,"        \
	" r.therapist_can_send, r.patient_can_send, r.therapist_can_see_history,"                   \
	" r.patient_can_see_history, r.description, r.tags, r.created_at::timestamp"

enum room_column {
	ROOM_ID,
	ROOM_CHAT_ID,
	ROOM_ROOM_TYPE,
	ROOM_IS_ACTIVE,
	ROOM_IS_ARCHIVED,
	ROOM_UPDATED_AT,
	ROOM_THERAPIST_CAN_SEND,
	ROOM_PATIENT_CAN_SEND,
	ROOM_THERAPIST_CAN_SEE_HISTORY,
	ROOM_PATIENT_CAN_SEE_HISTORY,
	ROOM_DESCRIPTION,
	ROOM_TAGS,                  /* JSON text */
	ROOM_CREATED_AT,
	ROOM__COLUMNS
};

/* The full names of chat `c`'s participants, "first last" as the original
 * service joins them. */
#define THERAPIST_FULL_NAME "concat_ws(' ', c.therapist_first_name, c.therapist_last_name)"
#define PATIENT_FULL_NAME "concat_ws(' ', c.patient_first_name, c.patient_last_name)"

/* The name of message `m`'s sender: one of chat `c`'s participants, whose
 * full names are THERAPIST_NAME and PATIENT_NAME. */
#define SENDER_NAME(THERAPIST_NAME, PATIENT_NAME)                                                   \
	"CASE m.sender_id WHEN c.therapist_id THEN " THERAPIST_NAME                                 \
	" WHEN c.patient_id THEN " PATIENT_NAME " ELSE 'Unknown User' END"

/* The text of the message `m` replies to, for the caller $1 (role $2):
 * NULL when it is deleted, or when the caller may not read it, being a
 * participant barred from the chat's history who did not send it (their
 * own reply must not show what they cannot read). */
#define REPLY_TO_TEXT                                                                               \
	" (SELECT CASE WHEN p.deleted THEN NULL ELSE p.text END FROM messages p WHERE p.id = m.reply_to" \
	"  AND (p.sender_id = $1 OR $2 = 'admin' OR coalesce((SELECT CASE WHEN $1 = c.therapist_id"  \
	"   THEN r.therapist_can_see_history ELSE r.patient_can_see_history END"                   \
	"   FROM chat_rooms r WHERE r.chat_id = m.chat_id), true)))"

/* A message `m` of chat `c`: the list representation's columns, then the
 * detail's. A statement for lists selects MESSAGE_LIST_COLUMNS alone, or
 * MESSAGE_LIST_COLUMNS_NAMED with the participants' names computed once. */
#define MESSAGE_LIST_COLUMNS_NAMED(THERAPIST_NAME, PATIENT_NAME)                                    \
	"m.id, m.chat_id, m.sender_id, m.text, m.emergency, m.message_type, m.read_status,"         \
	" m.reply_to, m.edited, m.deleted, m.\"timestamp\"::timestamp, "                            \
	SENDER_NAME(THERAPIST_NAME, PATIENT_NAME)
#define MESSAGE_LIST_COLUMNS MESSAGE_LIST_COLUMNS_NAMED(THERAPIST_FULL_NAME, PATIENT_FULL_NAME)
#define MESSAGE_COLUMNS                                                                             \
	MESSAGE_LIST_COLUMNS ","                                                                    \
	" m.attachment_url, m.attachment_name, m.attachment_size, m.read_at::timestamp, m.read_by," \
	REPLY_TO_TEXT ", m.edited_at::timestamp, m.deleted_at::timestamp, m.deleted_by"

enum message_column {
	MESSAGE_ID,
	MESSAGE_CHAT_ID,
	MESSAGE_SENDER_ID,
	MESSAGE_TEXT,
	MESSAGE_EMERGENCY,
	MESSAGE_TYPE,
	MESSAGE_READ_STATUS,
	MESSAGE_REPLY_TO,
	MESSAGE_EDITED,
	MESSAGE_DELETED,
	MESSAGE_TIMESTAMP,
	MESSAGE_SENDER_NAME,
	MESSAGE_LIST__COLUMNS,
	MESSAGE_ATTACHMENT_URL = MESSAGE_LIST__COLUMNS,
	MESSAGE_ATTACHMENT_NAME,
	MESSAGE_ATTACHMENT_SIZE,
	MESSAGE_READ_AT,
	MESSAGE_READ_BY,
	MESSAGE_REPLY_TO_TEXT,
	MESSAGE_EDITED_AT,
	MESSAGE_DELETED_AT,
	MESSAGE_DELETED_BY,
	MESSAGE__COLUMNS
};

/* An edit `e` of a message `m`. */
#define EDIT_COLUMNS "e.previous_text, e.edited_at::timestamp, e.edited_by, m.deleted"

enum edit_column {
	EDIT_PREVIOUS_TEXT,
	EDIT_EDITED_AT,
	EDIT_EDITED_BY,
	EDIT_MESSAGE_DELETED,
	EDIT__COLUMNS
};

#endif
