ALTER TABLE intake_drain DROP COLUMN total_left;
ALTER TABLE intake_drain DROP COLUMN stalled_since;
