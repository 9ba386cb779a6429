ALTER TABLE intake_drain DROP COLUMN floor_history_id;
ALTER TABLE intake_drain DROP COLUMN last_snapshot;
