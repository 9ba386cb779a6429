-- A stopped drain is told apart from a slow one: while the intake queue
-- holds a backlog and (almost) nothing leaves it, the measured rate is held
-- at its last busy value and the stop's start is kept, so waits are the
-- backlog at the busy rate plus the stop so far, not a backlog over a rate
-- falling towards zero.
ALTER TABLE intake_drain ADD COLUMN stalled_since TIMESTAMPTZ;
-- Registrations that have left `queued` since the row was made: a receipt's
-- queue mark (this count plus the queue ahead when it was accepted) less
-- this count is what is still ahead of it when its status is checked.
ALTER TABLE intake_drain ADD COLUMN total_left BIGINT NOT NULL DEFAULT 0;
