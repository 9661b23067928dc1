-- Apps sync by listing the messages of all their chats in timestamp order
-- from the last one they saw (`after`). A send takes its timestamp under
-- its chat's lock, so within one chat timestamps follow the order in which
-- sends commit; across chats they do not: a send may take its timestamp,
-- then commit after a send in another chat that took a later one. A list
-- that showed the later message first would move the app's `after` past
-- the earlier one, which it would then never see.
--
-- So a list across chats shows only messages older than any that a write
-- still under way can make: older than the start of the oldest transaction
-- open in another session of the workers' role (a message's timestamp is
-- taken after its transaction starts), and than the start of this
-- statement (for transactions that start later). The worker runs this
-- alone, before the list, so that the list's snapshot is taken after it
-- and sees every transaction it did not find under way.
--
-- A session sees the transaction starts of its own role's sessions only:
-- every worker logs in as the same role (README, Database roles).
CREATE FUNCTION tc_sync_horizon() RETURNS timestamptz
LANGUAGE sql VOLATILE AS $$
    SELECT least(statement_timestamp(), min(a.xact_start))
    FROM pg_stat_get_activity(NULL) a
    WHERE a.usesysid = (SELECT oid FROM pg_roles WHERE rolname = session_user)
      AND a.pid <> pg_backend_pid()
$$;
