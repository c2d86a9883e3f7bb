-- Appends no longer NOTIFY from a trigger inside the appending transaction: PostgreSQL
-- serialises notifying commits (WAL flush included) behind one cluster-wide lock, which capped
-- concurrent appends far below plain INSERTs. Writers pulse ledger_events after their commit
-- instead (ChangeNotifier, see docs/architecture.md); daemons still poll as a fallback.
DROP TRIGGER IF EXISTS events_appended_notify ON ledger.events;
DROP FUNCTION IF EXISTS ledger.notify_events_appended();
