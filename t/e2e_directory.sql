-- Directory rows for the end-to-end suite (t/e2e*.c), loaded by contrib/stack
-- through TCCHAT_SEED_SQL after the migrations.
--
-- Tests run in parallel, so each one takes users of its own from this block:
-- the harness hands out numbers 1..3000 once each (e2e_new_therapist,
-- e2e_new_patient) and knows the names these rows give them. Ids t_9xxxxx and
-- p_9xxxxx are well-formed but absent (e2e_absent_therapist/patient).

INSERT INTO therapists (id, first_name, last_name, receive_emergency_messages)
SELECT 't_' || lpad(n::text, 6, '0'), 'Tina' || n, 'Tester' || n, true
FROM generate_series(1, 3000) AS n
ON CONFLICT DO NOTHING;

INSERT INTO patients (id, first_name, last_name)
SELECT 'p_' || lpad(n::text, 6, '0'), 'Paul' || n, 'Patient' || n
FROM generate_series(1, 3000) AS n
ON CONFLICT DO NOTHING;

-- Names beyond ASCII, for the test that names are copied unchanged.
INSERT INTO therapists (id, first_name, last_name, receive_emergency_messages)
VALUES ('t_utf8aa', 'Zoë', 'Ångström-Łukasz', false)
ON CONFLICT DO NOTHING;

INSERT INTO patients (id, first_name, last_name)
VALUES ('p_utf8aa', 'José', 'Núñez 日本')
ON CONFLICT DO NOTHING;
