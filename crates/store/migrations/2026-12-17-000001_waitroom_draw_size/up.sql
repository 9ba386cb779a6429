-- How many tickets the pre-opening draw placed (positions 1..drawn_count):
-- the boundary between the random group and arrival order, for operators
-- and for checking that everyone who joined before opening was drawn.
ALTER TABLE waitroom_waves ADD COLUMN drawn_count BIGINT NOT NULL DEFAULT 0 CHECK (drawn_count >= 0);
