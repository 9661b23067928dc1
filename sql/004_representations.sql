-- The JSON representations of API.md section 3, built where the rows are so
-- that a worker passes one text value through. `caller` is the requesting
-- user's id; an admin's id matches no participant, which gives the admin
-- view (other_participant null, unread_count 0).

-- RFC 3339 UTC with microseconds; NULL stays NULL.
CREATE FUNCTION tc_time(t timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- The participant of `c` who is not `caller`; NULL when the caller is none.
CREATE FUNCTION tc_chat_other(c chats, caller text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE caller WHEN c.therapist_id THEN c.patient_id
                       WHEN c.patient_id THEN c.therapist_id END
$$;

CREATE FUNCTION tc_chat_unread(c chats, caller text) RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE caller WHEN c.therapist_id THEN c.therapist_unread_count
                       WHEN c.patient_id THEN c.patient_unread_count
                       ELSE 0 END
$$;

-- An emergency message from the other participant that the caller has not read.
CREATE FUNCTION tc_chat_unread_emergency(c chats, caller text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT EXISTS (
        SELECT 1 FROM messages m
        WHERE m.chat_id = c.id AND m.sender_id = tc_chat_other(c, caller)
          AND NOT m.deleted AND m.read_status <> 'read' AND m.emergency)
$$;

CREATE FUNCTION tc_chat_priority(c chats, caller text) RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN tc_chat_unread_emergency(c, caller) THEN 1000 ELSE 0 END
           + tc_chat_unread(c, caller)
$$;

CREATE FUNCTION tc_chat_list_json(c chats, caller text) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', c.id,
        'therapist_id', c.therapist_id,
        'therapist_first_name', c.therapist_first_name,
        'therapist_last_name', c.therapist_last_name,
        'patient_id', c.patient_id,
        'patient_first_name', c.patient_first_name,
        'patient_last_name', c.patient_last_name,
        'status', c.status,
        'last_message_text', c.last_message_text,
        'last_message_timestamp', tc_time(c.last_message_timestamp),
        'last_message_sender_id', c.last_message_sender_id,
        'therapist_unread_count', c.therapist_unread_count,
        'patient_unread_count', c.patient_unread_count,
        'updated_at', tc_time(c.updated_at),
        'therapist_full_name', concat_ws(' ', c.therapist_first_name, c.therapist_last_name),
        'patient_full_name', concat_ws(' ', c.patient_first_name, c.patient_last_name),
        'unread_count', tc_chat_unread(c, caller),
        'has_unread_emergency', emergency,
        'priority_score', CASE WHEN emergency THEN 1000 ELSE 0 END + tc_chat_unread(c, caller))
    FROM (SELECT tc_chat_unread_emergency(c, caller) AS emergency) e
$$;

CREATE FUNCTION tc_chat_json(c chats, caller text) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT tc_chat_list_json(c, caller) || jsonb_build_object(
        'therapist_notifications', c.therapist_notifications,
        'patient_notifications', c.patient_notifications,
        'created_at', tc_time(c.created_at),
        'other_participant', CASE tc_chat_other(c, caller)
            WHEN c.therapist_id THEN jsonb_build_object(
                'id', c.therapist_id, 'first_name', c.therapist_first_name,
                'last_name', c.therapist_last_name,
                'full_name', concat_ws(' ', c.therapist_first_name, c.therapist_last_name))
            WHEN c.patient_id THEN jsonb_build_object(
                'id', c.patient_id, 'first_name', c.patient_first_name,
                'last_name', c.patient_last_name,
                'full_name', concat_ws(' ', c.patient_first_name, c.patient_last_name))
            END)
$$;

CREATE FUNCTION tc_room_list_json(r chat_rooms) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT jsonb_build_object(
        'id', r.id,
        'chat_id', r.chat_id,
        'room_type', r.room_type,
        'is_active', r.is_active,
        'is_archived', r.is_archived,
        'updated_at', tc_time(r.updated_at))
$$;

CREATE FUNCTION tc_room_json(r chat_rooms, caller text) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT tc_room_list_json(r) || jsonb_build_object(
        'chat', (SELECT tc_chat_json(c, caller) FROM chats c WHERE c.id = r.chat_id),
        'therapist_can_send', r.therapist_can_send,
        'patient_can_send', r.patient_can_send,
        'therapist_can_see_history', r.therapist_can_see_history,
        'patient_can_see_history', r.patient_can_see_history,
        'description', r.description,
        'tags', r.tags,
        'created_at', tc_time(r.created_at))
$$;
