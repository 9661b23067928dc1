-- A send answers the message it made. The worker used to read it back
-- with a second statement (message_get: the message, its chat and room by
-- their keys) in the same round trip; the function already holds the new
-- row (INSERT ... RETURNING) and the chat it locked, so it now returns
-- both and a send is one statement. The rules are those of 008.
--
-- `message` and `message_chat` are set only when the outcome is 'created';
-- `message_chat` is the chat as it was before the send (the worker reads
-- only its participants from it).

DROP FUNCTION tc_message_send(text, text, text, text, text, boolean, text, text, text, text, bigint, text);

CREATE FUNCTION tc_message_send(
    caller text, caller_role text, chat text, new_id text, message_text text, is_emergency boolean,
    kind text, reply_to_id text, attachment_url text, attachment_name text, attachment_size bigint,
    idempotency_key text, OUT outcome text, OUT message_id text, OUT message messages,
    OUT message_chat chats)
LANGUAGE plpgsql AS $$
DECLARE
    locked record;
    c chats;
    prior idempotency_keys;
    is_admin boolean := caller_role = 'admin';
    request_hash text;
BEGIN
    -- A chat without a room lets its participants send.
    SELECT ch AS chat_row, r.chat_id IS NULL OR (r.is_active AND NOT r.is_archived AND
               CASE WHEN caller = ch.therapist_id THEN r.therapist_can_send ELSE r.patient_can_send END)
               AS room_lets_send
    INTO locked
    FROM chats ch LEFT JOIN chat_rooms r ON r.chat_id = ch.id
    WHERE ch.id = chat AND (is_admin OR caller IN (ch.therapist_id, ch.patient_id))
    FOR NO KEY UPDATE OF ch;
    IF NOT FOUND THEN
        outcome := 'not_found';
        RETURN;
    END IF;
    c := locked.chat_row;

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
    IF NOT is_admin AND NOT locked.room_lets_send THEN
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
    RETURNING * INTO message;
    -- The other participant's counts rise; an admin's message counts for
    -- nobody.
    UPDATE chats SET last_message_text = message_text, last_message_timestamp = message."timestamp",
        last_message_sender_id = caller, updated_at = message."timestamp",
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
    message_chat := c;
END
$$;
