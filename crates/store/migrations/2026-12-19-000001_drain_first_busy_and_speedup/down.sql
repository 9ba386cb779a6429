ALTER TABLE intake_drain DROP COLUMN quiet_speedup;
ALTER TABLE intake_drain DROP COLUMN loaded_per_sec;
ALTER TABLE intake_drain DROP COLUMN busy_measured;
