-- The last period's count and length: a stop is judged over two periods,
-- because one period's count is lumpy (a verifier batch commits 200 at
-- once) and a single lean second is not a stopped drain.
ALTER TABLE intake_drain ADD COLUMN last_left BIGINT NOT NULL DEFAULT 0;
ALTER TABLE intake_drain ADD COLUMN last_elapsed_secs DOUBLE PRECISION NOT NULL DEFAULT 0;
