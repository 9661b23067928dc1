-- Each participant's count of unread emergencies, kept on the chat row as
-- the unread counts are: has_unread_emergency and priority_score read it
-- instead of probing the chat's messages once per chat listed (a
-- therapist's get_user_chats probed 50 times).
--
-- A participant's unread emergencies are the messages of the other
-- participant that are emergencies, not deleted and not read: a subset of
-- their unread messages. Every write that changes one of those four facts
-- of a message changes the count in the same transaction, under the chat's
-- lock, as 004 and 005 do for the unread counts.

ALTER TABLE chats
    ADD COLUMN therapist_unread_emergency_count integer NOT NULL DEFAULT 0
        CHECK (therapist_unread_emergency_count >= 0),
    ADD COLUMN patient_unread_emergency_count integer NOT NULL DEFAULT 0
        CHECK (patient_unread_emergency_count >= 0);

-- ALTER TABLE holds the chats' lock to the end of this migration, so no
-- write runs between this count and the functions below.
UPDATE chats c SET
    therapist_unread_emergency_count = (SELECT count(*) FROM messages m
        WHERE m.chat_id = c.id AND m.sender_id = c.patient_id
          AND m.emergency AND NOT m.deleted AND m.read_status <> 'read'),
    patient_unread_emergency_count = (SELECT count(*) FROM messages m
        WHERE m.chat_id = c.id AND m.sender_id = c.therapist_id
          AND m.emergency AND NOT m.deleted AND m.read_status <> 'read')
WHERE EXISTS (SELECT 1 FROM messages m WHERE m.chat_id = c.id AND m.emergency);

-- The counts answer what this index was for.
DROP INDEX messages_chat_unread_emergency;

-- Adds `unread` to `participant`'s unread count in chat `chat` and
-- `emergencies` to their unread emergency count (negative to lower them).
CREATE FUNCTION tc_chat_unread_add(chat text, participant text, unread integer, emergencies integer)
RETURNS void
LANGUAGE sql AS $$
    UPDATE chats SET
        therapist_unread_count = therapist_unread_count
            + CASE WHEN therapist_id = participant THEN unread ELSE 0 END,
        patient_unread_count = patient_unread_count
            + CASE WHEN patient_id = participant THEN unread ELSE 0 END,
        therapist_unread_emergency_count = therapist_unread_emergency_count
            + CASE WHEN therapist_id = participant THEN emergencies ELSE 0 END,
        patient_unread_emergency_count = patient_unread_emergency_count
            + CASE WHEN patient_id = participant THEN emergencies ELSE 0 END
    WHERE id = chat
$$;

-- Sending (as in 005, with fewer statements per call): the chat is locked
-- and its room's permission read in one statement, the reply and
-- emergency checks run their queries only when the message needs them,
-- and the preview and both counts move in one UPDATE.
CREATE OR REPLACE FUNCTION tc_message_send(
    caller text, caller_role text, chat text, new_id text, message_text text, is_emergency boolean,
    kind text, reply_to_id text, attachment_url text, attachment_name text, attachment_size bigint,
    idempotency_key text, OUT outcome text, OUT message_id text)
LANGUAGE plpgsql AS $$
DECLARE
    c record;
    prior idempotency_keys;
    is_admin boolean := caller_role = 'admin';
    request_hash text;
    sent_at timestamptz;
BEGIN
    -- A chat without a room lets its participants send.
    SELECT ch.id, ch.status, ch.therapist_id, ch.patient_id,
           r.chat_id IS NULL OR (r.is_active AND NOT r.is_archived AND
               CASE WHEN caller = ch.therapist_id THEN r.therapist_can_send ELSE r.patient_can_send END)
               AS room_lets_send
    INTO c
    FROM chats ch LEFT JOIN chat_rooms r ON r.chat_id = ch.id
    WHERE ch.id = chat AND (is_admin OR caller IN (ch.therapist_id, ch.patient_id))
    FOR NO KEY UPDATE OF ch;
    IF NOT FOUND THEN
        outcome := 'not_found';
        RETURN;
    END IF;

    -- A retry with the same key returns what the first request created.
    IF idempotency_key IS NOT NULL THEN
        request_hash := md5(ROW(chat, message_text, is_emergency, kind, reply_to_id, attachment_url,
                                attachment_name, attachment_size)::text);
        SELECT * INTO prior FROM idempotency_keys k
        WHERE k.sender_id = caller AND k.key = idempotency_key AND k.created_at > now() - interval '24 hours';
        IF FOUND THEN
            IF prior.request_hash <> request_hash THEN
                outcome := 'key_reused';
            ELSE
                outcome := 'replayed';
                message_id := prior.message_id;
            END IF;
            RETURN;
        END IF;
    END IF;

    IF c.status <> 'active' THEN
        outcome := 'chat_inactive';
        RETURN;
    END IF;
    IF kind = 'system' AND NOT is_admin THEN
        outcome := 'system_admin_only';
        RETURN;
    END IF;
    IF NOT is_admin AND NOT c.room_lets_send THEN
        outcome := 'cannot_send';
        RETURN;
    END IF;
    IF reply_to_id IS NOT NULL THEN
        IF NOT EXISTS (SELECT 1 FROM messages WHERE id = reply_to_id AND chat_id = c.id) THEN
            outcome := 'bad_reply';
            RETURN;
        END IF;
    END IF;
    -- At most 15 emergencies in a row from one sender.
    IF is_emergency THEN
        IF (SELECT count(*) FILTER (WHERE recent.emergency) = 15 FROM (
                SELECT emergency FROM messages
                WHERE chat_id = c.id AND sender_id = caller AND NOT deleted
                ORDER BY "timestamp" DESC, id DESC LIMIT 15) recent) THEN
            outcome := 'rate_limited';
            RETURN;
        END IF;
    END IF;

    -- clock_timestamp(), taken under the chat's lock, orders the chat's
    -- messages as they commit, which sync by `after` relies on.
    INSERT INTO messages (id, chat_id, sender_id, text, emergency, message_type, reply_to,
                          attachment_url, attachment_name, attachment_size, "timestamp")
    VALUES (new_id, c.id, caller, message_text, is_emergency, kind, reply_to_id,
            attachment_url, attachment_name, attachment_size, clock_timestamp())
    RETURNING "timestamp" INTO sent_at;
    -- The other participant's counts rise; an admin's message counts for
    -- nobody.
    UPDATE chats SET last_message_text = message_text, last_message_timestamp = sent_at,
        last_message_sender_id = caller, updated_at = sent_at,
        therapist_unread_count = therapist_unread_count + (caller = patient_id)::integer,
        patient_unread_count = patient_unread_count + (caller = therapist_id)::integer,
        therapist_unread_emergency_count = therapist_unread_emergency_count
            + (is_emergency AND caller = patient_id)::integer,
        patient_unread_emergency_count = patient_unread_emergency_count
            + (is_emergency AND caller = therapist_id)::integer
    WHERE id = c.id;

    IF idempotency_key IS NOT NULL THEN
        -- An expired record of the same key, then a few expired others.
        DELETE FROM idempotency_keys k WHERE k.sender_id = caller AND k.key = idempotency_key;
        INSERT INTO idempotency_keys (sender_id, key, request_hash, message_id)
        VALUES (caller, idempotency_key, request_hash, new_id);
        DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
            SELECT ctid FROM idempotency_keys WHERE created_at < now() - interval '24 hours' LIMIT 100));
    END IF;
    outcome := 'created';
    message_id := new_id;
END
$$;

-- Edits (as in 005): a change of the emergency flag of an unread message
-- moves its recipient's emergency count.
CREATE OR REPLACE FUNCTION tc_message_edit(caller text, caller_role text, message text, new_text text,
    is_emergency boolean, OUT outcome text, OUT message_id text)
LANGUAGE plpgsql AS $$
DECLARE
    c chats := tc_message_chat_lock(message, caller, caller_role);
    m messages := tc_message_lock(message, c);
    was_emergency boolean := m.emergency;
BEGIN
    outcome := tc_message_refusal(m, c, caller, caller_role);
    IF outcome IS NOT NULL THEN
        RETURN;
    END IF;
    IF m.sender_id <> caller THEN
        outcome := 'not_sender';
    ELSIF new_text IS NOT NULL AND m.deleted THEN
        outcome := 'deleted';
    ELSE
        IF new_text IS NOT NULL THEN
            INSERT INTO message_edits (message_id, previous_text, edited_by) VALUES (m.id, m.text, caller);
        END IF;
        UPDATE messages SET text = coalesce(new_text, text),
            edited = edited OR new_text IS NOT NULL,
            edited_at = CASE WHEN new_text IS NOT NULL THEN now() ELSE edited_at END,
            emergency = coalesce(is_emergency, emergency)
        WHERE id = m.id RETURNING * INTO m;
        IF m.emergency <> was_emergency AND NOT m.deleted AND m.read_status <> 'read'
           AND tc_message_recipient(m, c) IS NOT NULL THEN
            PERFORM tc_chat_unread_add(c.id, tc_message_recipient(m, c), 0,
                                       CASE WHEN m.emergency THEN 1 ELSE -1 END);
        END IF;
        IF new_text IS NOT NULL THEN
            PERFORM tc_chat_refresh_preview(c.id);
        END IF;
        outcome := 'ok';
        message_id := m.id;
    END IF;
END
$$;

-- mark_emergency (as in 005): an unread message that becomes an emergency
-- raises its recipient's emergency count.
CREATE OR REPLACE FUNCTION tc_message_mark_emergency(caller text, caller_role text, message text,
    OUT outcome text, OUT message_id text)
LANGUAGE plpgsql AS $$
DECLARE
    c chats := tc_message_chat_lock(message, caller, caller_role);
    m messages := tc_message_lock(message, c);
BEGIN
    outcome := tc_message_refusal(m, c, caller, caller_role);
    IF outcome IS NOT NULL THEN
        RETURN;
    END IF;
    IF caller_role = 'admin' THEN
        outcome := 'not_participant';
    ELSE
        IF NOT m.emergency THEN
            UPDATE messages SET emergency = true WHERE id = m.id RETURNING * INTO m;
            IF NOT m.deleted AND m.read_status <> 'read' AND tc_message_recipient(m, c) IS NOT NULL THEN
                PERFORM tc_chat_unread_add(c.id, tc_message_recipient(m, c), 0, 1);
            END IF;
        END IF;
        outcome := 'ok';
        message_id := m.id;
    END IF;
END
$$;

-- mark_read (as in 005): lowers the reader's unread count, and their
-- emergency count for an emergency.
CREATE OR REPLACE FUNCTION tc_message_mark_read(caller text, caller_role text, message text,
    OUT outcome text, OUT message_id text)
LANGUAGE plpgsql AS $$
DECLARE
    c chats := tc_message_chat_lock(message, caller, caller_role);
    m messages := tc_message_lock(message, c);
BEGIN
    outcome := tc_message_refusal(m, c, caller, caller_role);
    IF outcome IS NOT NULL THEN
        RETURN;
    END IF;
    IF caller_role = 'admin' THEN
        outcome := 'not_participant';
    ELSIF m.sender_id = caller THEN
        outcome := 'own_message';
    ELSE
        IF m.read_status <> 'read' THEN
            UPDATE messages SET read_status = 'read', read_at = now(), read_by = caller
            WHERE id = m.id RETURNING * INTO m;
            IF NOT m.deleted AND tc_message_recipient(m, c) = caller THEN
                PERFORM tc_chat_unread_add(c.id, caller, -1, -m.emergency::integer);
            END IF;
        END IF;
        outcome := 'ok';
        message_id := m.id;
    END IF;
END
$$;

-- Soft delete (as in 005): an unread message leaves its recipient's counts.
CREATE OR REPLACE FUNCTION tc_message_delete(caller text, caller_role text, message text,
    OUT outcome text, OUT message_id text)
LANGUAGE plpgsql AS $$
DECLARE
    c chats := tc_message_chat_lock(message, caller, caller_role);
    m messages := tc_message_lock(message, c);
BEGIN
    outcome := tc_message_refusal(m, c, caller, caller_role);
    IF outcome IS NOT NULL THEN
        RETURN;
    END IF;
    IF NOT m.deleted THEN
        UPDATE messages SET deleted = true, deleted_at = now(), deleted_by = caller
        WHERE id = m.id RETURNING * INTO m;
        IF m.read_status <> 'read' AND tc_message_recipient(m, c) IS NOT NULL THEN
            PERFORM tc_chat_unread_add(c.id, tc_message_recipient(m, c), -1, -m.emergency::integer);
        END IF;
        PERFORM tc_chat_refresh_preview(c.id);
    END IF;
    outcome := 'ok';
    message_id := m.id;
END
$$;

-- mark_all_read (as in 004): both of the reader's counts fall by what it
-- marked.
CREATE OR REPLACE FUNCTION tc_chat_mark_all_read(caller text, caller_role text, chat text, reader text,
    OUT marked integer, OUT unread integer)
RETURNS SETOF record
LANGUAGE plpgsql AS $$
DECLARE
    c chats;
    marked_emergencies integer;
BEGIN
    SELECT * INTO c FROM chats
    WHERE id = chat AND (caller_role = 'admin' OR caller IN (therapist_id, patient_id))
      AND reader IN (therapist_id, patient_id);
    IF NOT FOUND THEN
        RETURN;
    END IF;
    -- Nothing unread: nothing to lock or write (a read of a chat that is
    -- already read stays a read). A message sent after this look is left
    -- for the next call, as it would be had it come after this one.
    IF (CASE reader WHEN c.therapist_id THEN c.therapist_unread_count ELSE c.patient_unread_count END) = 0 THEN
        marked := 0;
        unread := 0;
        RETURN NEXT;
        RETURN;
    END IF;
    SELECT * INTO c FROM chats WHERE id = c.id FOR NO KEY UPDATE;
    WITH read_now AS (
        UPDATE messages SET read_status = 'read', read_at = now(), read_by = reader
        WHERE chat_id = c.id AND sender_id = tc_chat_other(c, reader) AND NOT deleted AND read_status <> 'read'
        RETURNING emergency)
    SELECT count(*), count(*) FILTER (WHERE emergency) INTO marked, marked_emergencies FROM read_now;
    PERFORM tc_chat_unread_add(c.id, reader, -marked, -marked_emergencies);
    SELECT CASE reader WHEN therapist_id THEN therapist_unread_count ELSE patient_unread_count END
    INTO unread FROM chats WHERE id = c.id;
    RETURN NEXT;
END
$$;

-- Nothing calls it now.
DROP FUNCTION tc_chat_unread_lower(text, text, integer);
