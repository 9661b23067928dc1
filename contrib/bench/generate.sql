-- contrib/bench/generate.sql: loads a realistic TherapyConnect Chat data set
-- for the benchmark (contrib/bench/run), set-based, into an EMPTY database
-- that has the service's migrations (sql/) applied. Every invariant of
-- API.md section 3 holds when it finishes; verify.sql checks and prints it.
--
--   psql -X -v ON_ERROR_STOP=1 -d URL -v therapists=100 -v patients=1000 \
--        -v chats=5000 -v messages=1000000 -v seed=0.42 -f generate.sql
--
-- Ids have the service's formats: therapists t_ + 6 of [a-z0-9], patients
-- p_ + 6, chats CHAT_{t}_{p}, rooms ROOM_{t}_{p}, messages
-- MSG_<unix ms of the timestamp>_<12 of [a-z0-9]>. Ids are unique by
-- construction (a bijection of the row number, written in base 36), so the
-- load never retries. The same variables and seed give the same data set.
--
-- The mix: ~1 % system messages (sent by an admin, "admin"), 85 % text,
-- the rest image/file (with attachments), appointment, prescription;
-- ~1 % emergencies; ~2 % deleted; ~5 % replies to one of the 10 previous
-- messages of the same chat; ~1 % edited (1 or 2 rows each in
-- message_edits); each chat's newest 0..8 messages (20..60 for one chat in
-- twenty) unread, half of those delivered, the rest read. Chats are 94 %
-- active (3 % archived, 2 % blocked, 1 % deleted); a few rooms restrict
-- sending or history. Messages per chat are skewed (a few chats hold
-- thousands, most a hundred or two), timestamps span the past :months
-- months.

\set ON_ERROR_STOP on
\if :{?therapists} \else \set therapists 100 \endif
\if :{?patients} \else \set patients 1000 \endif
\if :{?chats} \else \set chats 5000 \endif
\if :{?messages} \else \set messages 1000000 \endif
\if :{?seed} \else \set seed 0.42 \endif
\if :{?months} \else \set months 6 \endif

SELECT :chats > :therapists::bigint * :patients AS too_many_chats \gset
\if :too_many_chats
DO $$ BEGIN RAISE EXCEPTION 'generate.sql: more chats than therapist-patient pairs'; END $$;
\endif

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM chats) OR EXISTS (SELECT 1 FROM messages)
       OR EXISTS (SELECT 1 FROM therapists) OR EXISTS (SELECT 1 FROM patients) THEN
        RAISE EXCEPTION 'generate.sql: the database already holds data; it loads into an empty one only';
    END IF;
END
$$;

SET client_min_messages = warning;
-- A bulk load in one session: more memory for the sorts and index builds.
SET work_mem = '256MB';
SET maintenance_work_mem = '512MB';
SELECT setseed(:seed) AS seeded \gset

-- v written in base 36 with `len` digits ([0-9a-z]), v < 36^len.
CREATE FUNCTION pg_temp.b36(v bigint, len integer) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT string_agg(substr('0123456789abcdefghijklmnopqrstuvwxyz',
                             ((v / p.pow) % 36)::integer + 1, 1), '' ORDER BY p.k DESC)
    FROM unnest('{1,36,1296,46656,1679616,60466176,2176782336,78364164096,2821109907456,
                  101559956668416,3656158440062976,131621703842267136}'::bigint[])
         WITH ORDINALITY AS p(pow, k)
    WHERE p.k <= len
$$;

CREATE TEMP TABLE g_names AS
SELECT '{Anna,Ben,Clara,David,Elena,Farid,Grace,Hugo,Ines,Jonas,Kira,Liam,Maya,Noah,Olga,Pablo,Rosa,Sami,Tara,Yusuf}'::text[] AS first,
       '{Adams,Berg,Costa,Dubois,Evans,Fischer,Garcia,Haddad,Ito,Jensen,Kowalski,Lopez,Meyer,Nguyen,Okafor,Petrov,Rossi,Silva,Tanaka,Weber}'::text[] AS last;

-- ------------------------------------------------------------- directory
-- i -> i * prime mod 36^6 is a bijection (the prime is coprime to 36).
CREATE TEMP TABLE g_therapists AS
SELECT i AS ix, 't_' || pg_temp.b36((i * 1000003) % 2176782336, 6) AS id,
       n.first[1 + (i * 7) % 20] AS first_name, n.last[1 + (i * 11) % 20] AS last_name
FROM generate_series(0, :therapists - 1) i, g_names n;

CREATE TEMP TABLE g_patients AS
SELECT i AS ix, 'p_' || pg_temp.b36((i * 999983 + 12345) % 2176782336, 6) AS id,
       n.first[1 + (i * 13) % 20] AS first_name, n.last[1 + (i * 3 + i / 20) % 20] AS last_name
FROM generate_series(0, :patients - 1) i, g_names n;

INSERT INTO therapists (id, first_name, last_name, receive_emergency_messages)
SELECT id, first_name, last_name, ix % 10 <> 9 FROM g_therapists ORDER BY ix;
INSERT INTO patients (id, first_name, last_name)
SELECT id, first_name, last_name FROM g_patients ORDER BY ix;

-- ------------------------------------------------------------- chats
-- Chat k pairs patient k mod P with therapist (37 p + k div P) mod T:
-- distinct pairs while :chats <= T * P.
CREATE TEMP TABLE g_chats AS
SELECT k AS ix, t.id AS therapist_id, t.first_name AS t_first, t.last_name AS t_last,
       p.id AS patient_id, p.first_name AS p_first, p.last_name AS p_last,
       'CHAT_' || t.id || '_' || p.id AS id, 'ROOM_' || t.id || '_' || p.id AS room_id,
       now() - make_interval(days => :months * 30) * (0.4 + 0.6 * random()) AS created_at,
       CASE WHEN r < 0.94 THEN 'active' WHEN r < 0.97 THEN 'archived'
            WHEN r < 0.99 THEN 'blocked' ELSE 'deleted' END AS status,
       CASE WHEN random() < 0.05 THEN 20 + floor(random() * 41) ELSE floor(random() * 9) END::integer AS unread_tail,
       random() AS r_room
FROM (SELECT k, random() AS r FROM generate_series(0, :chats - 1) k) ks
JOIN g_patients p ON p.ix = ks.k % :patients
JOIN g_therapists t ON t.ix = ((ks.k % :patients) * 37 + ks.k / :patients) % :therapists;
CREATE UNIQUE INDEX ON g_chats (ix);

INSERT INTO chats (id, therapist_id, therapist_first_name, therapist_last_name, patient_id,
                   patient_first_name, patient_last_name, status, therapist_notifications,
                   patient_notifications, created_at, updated_at)
SELECT id, therapist_id, t_first, t_last, patient_id, p_first, p_last, status,
       ix % 17 <> 0, ix % 23 <> 0, created_at, created_at
FROM g_chats ORDER BY ix;

INSERT INTO chat_rooms (id, chat_id, room_type, therapist_can_send, patient_can_send,
                        therapist_can_see_history, patient_can_see_history, description, tags,
                        is_active, is_archived, created_at, updated_at)
SELECT room_id, id,
       (ARRAY['therapy', 'therapy', 'therapy', 'consultation', 'emergency', 'general'])[1 + ix % 6],
       NOT (r_room BETWEEN 0.010 AND 0.015), NOT (r_room BETWEEN 0.015 AND 0.025),
       true, NOT (r_room BETWEEN 0.025 AND 0.045),
       CASE WHEN ix % 4 = 0 THEN 'Weekly sessions; chat between appointments.' END,
       CASE ix % 5 WHEN 0 THEN '["anxiety"]' WHEN 1 THEN '["cbt", "sleep"]' ELSE '[]' END::jsonb,
       r_room >= 0.010, r_room < 0.010, created_at, created_at
FROM g_chats ORDER BY ix;

-- ------------------------------------------------------------- messages
-- Message n goes to chat floor(C * u^1.6), u uniform: skewed sizes.
CREATE TEMP TABLE g_draw AS
SELECT n, floor(:chats * power(random(), 1.6))::integer AS chat_ix,
       random() AS r_type, random() AS r_sender, random() AS r_flag, random() AS r_time,
       random() AS r_reply, floor(random() * 1000000)::integer AS r_int
FROM generate_series(1::bigint, :messages) n;

CREATE TEMP TABLE g_msg AS
SELECT d.*, c.id AS chat_id, c.therapist_id, c.patient_id, c.created_at, c.unread_tail,
       row_number() OVER (PARTITION BY d.chat_ix ORDER BY d.n) AS seq,
       count(*) OVER (PARTITION BY d.chat_ix) AS cnt
FROM g_draw d
JOIN g_chats c ON c.ix = d.chat_ix;
DROP TABLE g_draw;

-- Each chat's messages are spread evenly over its lifetime, in seq order;
-- then the id, whose leading number is the timestamp's milliseconds.
CREATE TEMP TABLE g_final AS
SELECT s.*, 'MSG_' || floor(extract(epoch FROM s.ts) * 1000)::bigint || '_'
           || pg_temp.b36(((s.n::numeric * 3141592653589793239) % 4738381338321616896)::bigint, 12) AS id
FROM (
    SELECT g.*,
           g.created_at + (statement_timestamp() - interval '1 minute' - g.created_at)
                          * ((g.seq - 1 + 0.9 * g.r_time) / g.cnt) AS ts,
           CASE WHEN g.r_type < 0.01 THEN 'admin'
                WHEN g.r_sender < 0.5 THEN g.therapist_id ELSE g.patient_id END AS sender_id,
           CASE WHEN g.r_type < 0.01 THEN 'system' WHEN g.r_type < 0.86 THEN 'text'
                WHEN g.r_type < 0.91 THEN 'image' WHEN g.r_type < 0.94 THEN 'file'
                WHEN g.r_type < 0.97 THEN 'appointment' ELSE 'prescription' END AS message_type,
           g.seq > g.cnt - g.unread_tail AS unread,
           CASE WHEN g.seq > 1 AND g.r_reply < 0.05
                THEN g.seq - 1 - floor(g.r_reply * 20 * least(g.seq - 1, 10))::bigint END AS reply_seq
    FROM g_msg g
) s;
DROP TABLE g_msg;
CREATE INDEX ON g_final (chat_ix, seq);
ANALYZE g_final;

CREATE TEMP TABLE g_texts AS
SELECT '{"Hi, how are you feeling today?",
"Thanks for the session yesterday, it helped a lot.",
"I tried the breathing exercise twice this week.",
"Could we move Thursday''s appointment to the afternoon?",
"Sure, 3 pm works for me.",
"I had trouble sleeping again last night.",
"Let''s look at the thought record together next time.",
"Please remember to fill in the mood diary before our session.",
"I felt anxious at work today but managed to take a short walk.",
"That is real progress. What helped you notice it?",
"Can you send me the worksheet again?",
"Here is the article I mentioned about sleep hygiene.",
"I am not sure the new dose suits me, I feel tired in the mornings.",
"Noted. I will discuss it with Dr. Meyer and get back to you.",
"See you on Monday.",
"ok",
"Thank you!",
"I would like to talk about what happened with my family over the weekend, it has been on my mind constantly and I do not know how to start the conversation with them.",
"Reminder: your next appointment is on Tuesday at 10:00.",
"Your prescription has been renewed for another month."}'::text[] AS t;

INSERT INTO messages (id, chat_id, sender_id, text, emergency, message_type, attachment_url,
                      attachment_name, attachment_size, read_status, read_at, read_by, reply_to,
                      edited, edited_at, deleted, deleted_at, deleted_by, "timestamp")
SELECT f.id, f.chat_id, f.sender_id,
       CASE WHEN f.message_type = 'system' THEN 'This chat is now connected to your care team.'
            WHEN f.r_flag >= 0.995 THEN 'I need help right now, I do not feel safe.'
            ELSE x.t[1 + f.r_int % 20] END,
       f.sender_id <> 'admin' AND f.r_flag >= 0.99,
       f.message_type,
       CASE WHEN f.message_type IN ('image', 'file')
            THEN 'https://files.therapyconnect.example/att/' || f.n || CASE f.message_type WHEN 'image' THEN '.jpg' ELSE '.pdf' END END,
       CASE f.message_type WHEN 'image' THEN 'photo-' || f.n || '.jpg' WHEN 'file' THEN 'worksheet-' || f.n || '.pdf' END,
       CASE WHEN f.message_type IN ('image', 'file') THEN 20000 + f.r_int * 3 END,
       CASE WHEN NOT f.unread THEN 'read' WHEN f.r_int % 2 = 0 THEN 'delivered' ELSE 'sent' END,
       CASE WHEN NOT f.unread THEN least(f.ts + make_interval(mins => 1 + f.r_int % 600), statement_timestamp()) END,
       CASE WHEN NOT f.unread THEN CASE WHEN f.sender_id = f.therapist_id THEN f.patient_id ELSE f.therapist_id END END,
       r.id,
       f.r_flag BETWEEN 0.50 AND 0.51,
       CASE WHEN f.r_flag BETWEEN 0.50 AND 0.51 THEN f.ts + make_interval(secs => 5 + f.r_int % 300) END,
       f.r_flag BETWEEN 0.20 AND 0.22,
       CASE WHEN f.r_flag BETWEEN 0.20 AND 0.22 THEN f.ts + make_interval(secs => 10 + f.r_int % 3000) END,
       CASE WHEN f.r_flag BETWEEN 0.20 AND 0.22 THEN f.sender_id END,
       f.ts
FROM g_final f
CROSS JOIN g_texts x
LEFT JOIN g_final r ON r.chat_ix = f.chat_ix AND r.seq = f.reply_seq
-- In the order they were sent, as the service writes them: a chat's
-- messages interleave with every other chat's, so a page of 50 reads about
-- 50 heap pages, as it does in production and after the benchmark's own
-- sends (in chat order it read 5 to 10).
ORDER BY f.ts, f.id;

-- Edit history of the edited messages: one or two earlier texts each.
INSERT INTO message_edits (message_id, previous_text, edited_by, edited_at)
SELECT m.id, CASE WHEN e = 1 THEN 'First draft: ' ELSE 'Second draft: ' END || left(m.text, 200),
       m.sender_id, m."timestamp" + (m.edited_at - m."timestamp") * e / 3
FROM messages m
CROSS JOIN LATERAL generate_series(1, 1 + (length(m.id) % 2)) e
WHERE m.edited
ORDER BY m.id, e;

DROP TABLE g_final, g_chats, g_therapists, g_patients, g_names, g_texts;

-- ------------------------------------------------------------- chat state
-- Preview: the newest non-deleted message by (timestamp, id).
UPDATE chats c SET last_message_text = l.text, last_message_timestamp = l."timestamp",
                   last_message_sender_id = l.sender_id
FROM (SELECT DISTINCT ON (chat_id) chat_id, text, "timestamp", sender_id
      FROM messages WHERE NOT deleted
      ORDER BY chat_id, "timestamp" DESC, id DESC) l
WHERE l.chat_id = c.id;

-- updated_at: the newest message (deleting one does not move it); unread
-- counts: messages from the other participant, not deleted, not read, and
-- of those the emergencies.
UPDATE chats c SET
    updated_at = greatest(c.created_at, a.newest),
    therapist_unread_count = a.therapist_unread,
    patient_unread_count = a.patient_unread,
    therapist_unread_emergency_count = a.therapist_unread_emergencies,
    patient_unread_emergency_count = a.patient_unread_emergencies
FROM (SELECT m.chat_id, max(m."timestamp") AS newest,
             count(*) FILTER (WHERE m.sender_id = ch.patient_id AND NOT m.deleted AND m.read_status <> 'read') AS therapist_unread,
             count(*) FILTER (WHERE m.sender_id = ch.therapist_id AND NOT m.deleted AND m.read_status <> 'read') AS patient_unread,
             count(*) FILTER (WHERE m.sender_id = ch.patient_id AND NOT m.deleted AND m.read_status <> 'read'
                              AND m.emergency) AS therapist_unread_emergencies,
             count(*) FILTER (WHERE m.sender_id = ch.therapist_id AND NOT m.deleted AND m.read_status <> 'read'
                              AND m.emergency) AS patient_unread_emergencies
      FROM messages m JOIN chats ch ON ch.id = m.chat_id
      GROUP BY m.chat_id) a
WHERE a.chat_id = c.id;

-- A non-active chat changed status after its last message.
UPDATE chats SET updated_at = least(updated_at + interval '2 hours', statement_timestamp())
WHERE status <> 'active';

UPDATE chat_rooms r SET updated_at = c.updated_at FROM chats c WHERE c.id = r.chat_id;

RESET work_mem;
-- Hint bits, visibility map and statistics, so that the benchmark neither
-- starts with autovacuum's work nor with a cold planner.
VACUUM (ANALYZE) therapists, patients, chats, chat_rooms, messages, message_edits, idempotency_keys;

\ir verify.sql
