-- Demo directory for the local run (`contrib/dev run` loads it once per new
-- cluster): a few therapists and patients, fictitious. t_abc123 and p_xyz789
-- are the ids used by the examples of the original API document.
-- Idempotent: loading it again changes nothing.

INSERT INTO therapists (id, first_name, last_name, receive_emergency_messages) VALUES
    ('t_abc123', 'Elena',  'Marquez',  true),
    ('t_def456', 'Samuel', 'Okafor',   true),
    ('t_ghi789', 'Hannah', 'Lindqvist', false),
    ('t_jkl012', 'Priya',  'Raman',    true)
ON CONFLICT (id) DO NOTHING;

INSERT INTO patients (id, first_name, last_name) VALUES
    ('p_xyz789', 'Jordan', 'Blake'),
    ('p_uvw456', 'Maya',   'Chen'),
    ('p_rst123', 'Lucas',  'Moreau'),
    ('p_opq890', 'Amara',  'Nwosu'),
    ('p_lmn567', 'Tomás',  'Herrera'),
    ('p_ijk234', 'Sofia',  'Novak')
ON CONFLICT (id) DO NOTHING;
