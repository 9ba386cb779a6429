ALTER TABLE intake_drain DROP COLUMN quiet_per_sec;
