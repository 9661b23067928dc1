/*
 * The statement table: every query of the worker, parameterised. The JSON
 * representations come from the tc_*_json functions of sql/.
 */
#include "statements.h"

/* The caller ($1, role $2) takes part in chat `c`, or is an admin. */
#define VISIBLE_TO_CALLER "($2 = 'admin' OR c.therapist_id = $1 OR c.patient_id = $1)"

/* Chat list filters: therapist_id $3, patient_id $4, status $5, user_id $6. */
#define CHAT_LIST_FILTERS                                              \
	" WHERE " VISIBLE_TO_CALLER                                    \
	" AND ($3::text IS NULL OR c.therapist_id = $3)"               \
	" AND ($4::text IS NULL OR c.patient_id = $4)"                 \
	" AND ($5::text IS NULL OR c.status = $5)"                     \
	" AND ($6::text IS NULL OR c.therapist_id = $6 OR c.patient_id = $6)"

/* Room list filters: room_type $3, is_active $4, is_archived $5, chat_id $6. */
#define ROOM_LIST_FILTERS                                              \
	" WHERE " VISIBLE_TO_CALLER                                    \
	" AND ($3::text IS NULL OR r.room_type = $3)"                  \
	" AND ($4::boolean IS NULL OR r.is_active = $4::boolean)"      \
	" AND ($5::boolean IS NULL OR r.is_archived = $5::boolean)"    \
	" AND ($6::text IS NULL OR r.chat_id = $6)"

const struct statement statements[STATEMENT__MAX] = {
	[STATEMENT_HEALTH] = {"health", "SELECT 1", 0},

	[STATEMENT_CHAT_VISIBLE] = {"chat_visible",
		"SELECT 1 FROM chats c WHERE c.id = $3 AND " VISIBLE_TO_CALLER, 3},

	[STATEMENT_CHAT_GET] = {"chat_get",
		"SELECT tc_chat_json(c, $1) FROM chats c WHERE c.id = $3 AND " VISIBLE_TO_CALLER, 3},

	/* Newest updated_at first; the cursor is ($7 updated_at, $8 id). */
	[STATEMENT_CHAT_LIST] = {"chat_list",
		"SELECT tc_chat_list_json(c, $1), tc_time(c.updated_at), c.id FROM chats c"
		CHAT_LIST_FILTERS
		" AND ($7::timestamptz IS NULL OR (c.updated_at, c.id) < ($7::timestamptz, $8::text))"
		" ORDER BY c.updated_at DESC, c.id DESC LIMIT $9::integer", 9},

	/* Highest priority_score first; the cursor is ($7 priority, $8 updated_at, $9 id). */
	[STATEMENT_CHAT_LIST_BY_PRIORITY] = {"chat_list_by_priority",
		"SELECT json, tc_time(updated_at), id, priority::text FROM ("
		" SELECT tc_chat_list_json(c, $1) AS json, tc_chat_priority(c, $1) AS priority,"
		" c.updated_at, c.id FROM chats c" CHAT_LIST_FILTERS ") ranked"
		" WHERE $7::integer IS NULL OR (priority, updated_at, id) < ($7::integer, $8::timestamptz, $9::text)"
		" ORDER BY priority DESC, updated_at DESC, id DESC LIMIT $10::integer", 10},

	/* Creates the chat of ($3 therapist, $4 patient) with status $5 and its
	 * room. Returns whether each is in the directory and the new chat, whose
	 * JSON is NULL when the pair's chat already exists. */
	[STATEMENT_CHAT_CREATE] = {"chat_create",
		"WITH t AS (SELECT * FROM therapists WHERE id = $3),"
		" p AS (SELECT * FROM patients WHERE id = $4),"
		" chat AS (INSERT INTO chats (id, therapist_id, therapist_first_name, therapist_last_name,"
		"   patient_id, patient_first_name, patient_last_name, status)"
		"  SELECT 'CHAT_' || t.id || '_' || p.id, t.id, t.first_name, t.last_name,"
		"   p.id, p.first_name, p.last_name, coalesce($5, 'active') FROM t, p"
		"  ON CONFLICT DO NOTHING RETURNING chats AS row),"
		" room AS (INSERT INTO chat_rooms (id, chat_id)"
		"  SELECT 'ROOM_' || (row).therapist_id || '_' || (row).patient_id, (row).id FROM chat"
		"  ON CONFLICT DO NOTHING)"
		" SELECT EXISTS (SELECT 1 FROM t), EXISTS (SELECT 1 FROM p),"
		" (SELECT tc_chat_json(row, $1) FROM chat)", 5},

	/* PUT/PATCH/update_status: $4 status, $5 therapist_notifications,
	 * $6 patient_notifications; NULL keeps a field. updated_at moves only
	 * when a value changes. */
	[STATEMENT_CHAT_UPDATE] = {"chat_update",
		"UPDATE chats c SET status = coalesce($4, c.status),"
		" therapist_notifications = coalesce($5::boolean, c.therapist_notifications),"
		" patient_notifications = coalesce($6::boolean, c.patient_notifications),"
		" updated_at = CASE WHEN (coalesce($4, c.status), coalesce($5::boolean, c.therapist_notifications),"
		"   coalesce($6::boolean, c.patient_notifications))"
		"   IS DISTINCT FROM (c.status, c.therapist_notifications, c.patient_notifications)"
		"  THEN now() ELSE c.updated_at END"
		" WHERE c.id = $3 AND " VISIBLE_TO_CALLER
		" RETURNING tc_chat_json(c, $1)", 6},

	/* toggle_notifications: participant $4's flag becomes $5. */
	[STATEMENT_CHAT_SET_NOTIFICATIONS] = {"chat_set_notifications",
		"UPDATE chats c SET"
		" therapist_notifications = CASE WHEN c.therapist_id = $4 THEN $5::boolean ELSE c.therapist_notifications END,"
		" patient_notifications = CASE WHEN c.patient_id = $4 THEN $5::boolean ELSE c.patient_notifications END,"
		" updated_at = CASE WHEN $5::boolean IS DISTINCT FROM"
		"   (CASE WHEN c.therapist_id = $4 THEN c.therapist_notifications ELSE c.patient_notifications END)"
		"  THEN now() ELSE c.updated_at END"
		" WHERE c.id = $3 AND " VISIBLE_TO_CALLER " AND $4 IN (c.therapist_id, c.patient_id)"
		" RETURNING 1", 5},

	/* mark_all_read for participant $4. The counter drops by the messages
	 * this statement marked, not to zero, so that a send committed while it
	 * ran (invisible to its snapshot, already counted) stays unread. */
	[STATEMENT_CHAT_MARK_ALL_READ] = {"chat_mark_all_read",
		"WITH c AS (SELECT * FROM chats c WHERE c.id = $3 AND " VISIBLE_TO_CALLER
		"  AND $4 IN (c.therapist_id, c.patient_id)),"
		" marked AS (UPDATE messages m SET read_status = 'read', read_at = now(), read_by = $4"
		"  FROM c WHERE m.chat_id = c.id AND m.sender_id = tc_chat_other(c::chats, $4)"
		"  AND NOT m.deleted AND m.read_status <> 'read' RETURNING m.id),"
		" counted AS (SELECT count(*)::integer AS n FROM marked),"
		" updated AS (UPDATE chats SET"
		"  therapist_unread_count = CASE WHEN chats.therapist_id = $4"
		"   THEN greatest(chats.therapist_unread_count - counted.n, 0) ELSE chats.therapist_unread_count END,"
		"  patient_unread_count = CASE WHEN chats.patient_id = $4"
		"   THEN greatest(chats.patient_unread_count - counted.n, 0) ELSE chats.patient_unread_count END"
		"  FROM c, counted WHERE chats.id = c.id"
		"  RETURNING CASE WHEN chats.therapist_id = $4 THEN chats.therapist_unread_count"
		"   ELSE chats.patient_unread_count END AS unread)"
		" SELECT (SELECT n FROM counted), (SELECT unread FROM updated)", 4},

	[STATEMENT_CHAT_PURGE] = {"chat_purge",
		"DELETE FROM chats c WHERE c.id = $3 AND $2 = 'admin' RETURNING 1", 3},

	[STATEMENT_ROOM_VISIBLE] = {"room_visible",
		"SELECT 1 FROM chat_rooms r JOIN chats c ON c.id = r.chat_id"
		" WHERE r.id = $3 AND " VISIBLE_TO_CALLER, 3},

	[STATEMENT_ROOM_GET] = {"room_get",
		"SELECT tc_room_json(r, $1) FROM chat_rooms r JOIN chats c ON c.id = r.chat_id"
		" WHERE r.id = $3 AND " VISIBLE_TO_CALLER, 3},

	/* Newest updated_at first; the cursor is ($7 updated_at, $8 id). */
	[STATEMENT_ROOM_LIST] = {"room_list",
		"SELECT tc_room_list_json(r), tc_time(r.updated_at), r.id"
		" FROM chat_rooms r JOIN chats c ON c.id = r.chat_id"
		ROOM_LIST_FILTERS
		" AND ($7::timestamptz IS NULL OR (r.updated_at, r.id) < ($7::timestamptz, $8::text))"
		" ORDER BY r.updated_at DESC, r.id DESC LIMIT $9::integer", 9},

	/* Creates the room of chat $3 when the caller may (its therapist or an
	 * admin). $4 room_type, $5..$8 the four permissions, $9 description,
	 * $10 tags, $11 is_active, $12 is_archived; NULL takes the default.
	 * Returns whether the chat is visible, and the room (NULL if not made). */
	[STATEMENT_ROOM_CREATE] = {"room_create",
		"WITH c AS (SELECT * FROM chats c WHERE c.id = $3 AND " VISIBLE_TO_CALLER "),"
		" room AS (INSERT INTO chat_rooms (id, chat_id, room_type, therapist_can_send, patient_can_send,"
		"   therapist_can_see_history, patient_can_see_history, description, tags, is_active, is_archived)"
		"  SELECT 'ROOM_' || c.therapist_id || '_' || c.patient_id, c.id, coalesce($4, 'general'),"
		"   coalesce($5::boolean, true), coalesce($6::boolean, true), coalesce($7::boolean, true),"
		"   coalesce($8::boolean, true), $9, coalesce($10::jsonb, '[]'), coalesce($11::boolean, true),"
		"   coalesce($12::boolean, false)"
		"  FROM c WHERE $2 = 'admin' OR c.therapist_id = $1"
		"  ON CONFLICT DO NOTHING RETURNING chat_rooms AS row)"
		" SELECT EXISTS (SELECT 1 FROM c), (SELECT tc_room_json(row, $1) FROM room)", 12},

	/* PUT/PATCH and the room actions, by the chat's therapist or an admin:
	 * $4 room_type, $5..$8 permissions, $9 description (applied when $10),
	 * $11 tags, $12 is_active, $13 is_archived; NULL keeps a field. */
	[STATEMENT_ROOM_UPDATE] = {"room_update",
		"UPDATE chat_rooms r SET room_type = coalesce($4, r.room_type),"
		" therapist_can_send = coalesce($5::boolean, r.therapist_can_send),"
		" patient_can_send = coalesce($6::boolean, r.patient_can_send),"
		" therapist_can_see_history = coalesce($7::boolean, r.therapist_can_see_history),"
		" patient_can_see_history = coalesce($8::boolean, r.patient_can_see_history),"
		" description = CASE WHEN $10::boolean THEN $9 ELSE r.description END,"
		" tags = coalesce($11::jsonb, r.tags),"
		" is_active = coalesce($12::boolean, r.is_active),"
		" is_archived = coalesce($13::boolean, r.is_archived),"
		" updated_at = now()"
		" FROM chats c WHERE r.id = $3 AND c.id = r.chat_id AND ($2 = 'admin' OR c.therapist_id = $1)"
		" RETURNING tc_room_json(r, $1)", 13},

	[STATEMENT_ROOM_DELETE] = {"room_delete",
		"DELETE FROM chat_rooms r WHERE r.id = $3 AND $2 = 'admin' RETURNING 1", 3},
};
