-- contrib/bench/verify.sql: checks the data invariants of API.md section 3
-- over the whole database and prints one line per check with the number of
-- rows that break it, then `invariants_hold | t` (or f). Run by
-- generate.sql after a load, and by contrib/bench/run after the load test
-- (so that it also shows whether the service kept them under concurrency).
--
--   psql -X -v ON_ERROR_STOP=1 -d URL -f verify.sql

CREATE TEMP TABLE IF NOT EXISTS bench_checks (check_name text, violations bigint);
TRUNCATE bench_checks;

INSERT INTO bench_checks
WITH actual AS (
    SELECT c.id,
           count(m.id) FILTER (WHERE m.sender_id = c.patient_id AND NOT m.deleted AND m.read_status <> 'read') AS therapist_unread,
           count(m.id) FILTER (WHERE m.sender_id = c.therapist_id AND NOT m.deleted AND m.read_status <> 'read') AS patient_unread,
           count(m.id) FILTER (WHERE m.sender_id = c.patient_id AND NOT m.deleted AND m.read_status <> 'read'
                               AND m.emergency) AS therapist_unread_emergencies,
           count(m.id) FILTER (WHERE m.sender_id = c.therapist_id AND NOT m.deleted AND m.read_status <> 'read'
                               AND m.emergency) AS patient_unread_emergencies,
           max(m."timestamp") AS newest
    FROM chats c LEFT JOIN messages m ON m.chat_id = c.id
    GROUP BY c.id
), preview AS (
    SELECT c.id, l.text, l."timestamp", l.sender_id
    FROM chats c
    LEFT JOIN LATERAL (SELECT m.text, m."timestamp", m.sender_id FROM messages m
                       WHERE m.chat_id = c.id AND NOT m.deleted
                       ORDER BY m."timestamp" DESC, m.id DESC LIMIT 1) l ON true
)
SELECT 'therapist_unread_count = unread messages from the patient',
       count(*) FILTER (WHERE c.therapist_unread_count <> a.therapist_unread)
FROM chats c JOIN actual a USING (id)
UNION ALL
SELECT 'patient_unread_count = unread messages from the therapist',
       count(*) FILTER (WHERE c.patient_unread_count <> a.patient_unread)
FROM chats c JOIN actual a USING (id)
UNION ALL
SELECT 'therapist_unread_emergency_count = unread emergencies from the patient',
       count(*) FILTER (WHERE c.therapist_unread_emergency_count <> a.therapist_unread_emergencies)
FROM chats c JOIN actual a USING (id)
UNION ALL
SELECT 'patient_unread_emergency_count = unread emergencies from the therapist',
       count(*) FILTER (WHERE c.patient_unread_emergency_count <> a.patient_unread_emergencies)
FROM chats c JOIN actual a USING (id)
UNION ALL
SELECT 'last_message_* = newest non-deleted message by (timestamp, id)',
       count(*) FILTER (WHERE (c.last_message_text, c.last_message_timestamp, c.last_message_sender_id)
                              IS DISTINCT FROM (p.text, p."timestamp", p.sender_id))
FROM chats c JOIN preview p USING (id)
UNION ALL
SELECT 'updated_at >= newest message and >= created_at',
       count(*) FILTER (WHERE c.updated_at < a.newest OR c.updated_at < c.created_at)
FROM chats c JOIN actual a USING (id)
UNION ALL
SELECT 'chat without its room ROOM_{t}_{p}',
       count(*) FROM chats c
       WHERE NOT EXISTS (SELECT 1 FROM chat_rooms r WHERE r.chat_id = c.id
                         AND r.id = 'ROOM_' || c.therapist_id || '_' || c.patient_id)
UNION ALL
SELECT 'chat id is CHAT_{t}_{p} with well-formed ids',
       count(*) FROM chats c
       WHERE c.id <> 'CHAT_' || c.therapist_id || '_' || c.patient_id
          OR c.therapist_id !~ '^t_[a-z0-9]{6}$' OR c.patient_id !~ '^p_[a-z0-9]{6}$'
UNION ALL
SELECT 'message id is MSG_<ms>_<[a-z0-9]>', count(*) FROM messages WHERE id !~ '^MSG_[0-9]+_[a-z0-9]+$'
UNION ALL
SELECT 'reply_to is an earlier message of the same chat',
       count(*) FROM messages m JOIN messages r ON r.id = m.reply_to
       WHERE r.chat_id <> m.chat_id OR (r."timestamp", r.id) >= (m."timestamp", m.id)
UNION ALL
SELECT 'read/deleted/edited flags agree with their timestamps',
       count(*) FROM messages
       WHERE (read_status = 'read') <> (read_at IS NOT NULL)
          OR deleted <> (deleted_at IS NOT NULL) OR edited <> (edited_at IS NOT NULL)
UNION ALL
SELECT 'image/file messages have an attachment_url',
       count(*) FROM messages WHERE message_type IN ('image', 'file') AND attachment_url IS NULL;

\pset footer off
SELECT check_name AS "invariant (API.md section 3)", violations FROM bench_checks;
SELECT (SELECT count(*) FROM chats) AS chats, (SELECT count(*) FROM messages) AS messages,
       (SELECT count(*) FROM message_edits) AS edits,
       (SELECT bool_and(violations = 0) FROM bench_checks) AS invariants_hold;
\pset footer on
