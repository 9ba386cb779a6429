-- The drain rate while the intake is backed up and (almost) nothing
-- arrives: what the pipeline drains once a burst is over. Where intake and
-- workers share machines it is faster than the rate during the burst, and
-- a receipt given during a burst announces between the two.
ALTER TABLE intake_drain ADD COLUMN quiet_per_sec DOUBLE PRECISION NOT NULL DEFAULT 0;
