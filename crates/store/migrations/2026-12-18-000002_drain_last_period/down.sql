ALTER TABLE intake_drain DROP COLUMN last_elapsed_secs;
ALTER TABLE intake_drain DROP COLUMN last_left;
