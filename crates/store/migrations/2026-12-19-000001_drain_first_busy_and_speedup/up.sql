-- busy_measured: whether per_sec has been measured while the intake was
-- backed up. Until then it is at most the arrival rate of quiet periods (a
-- lower bound of what the pipeline can do), and the first busy period
-- takes its own rate whole instead of averaging with it. Rows from before
-- knew only busy periods once they had a rate.
ALTER TABLE intake_drain ADD COLUMN busy_measured BOOLEAN NOT NULL DEFAULT false;
UPDATE intake_drain SET busy_measured = per_sec > 0;
-- loaded_per_sec: the rate of backed-up periods while arrivals go on.
-- quiet_speedup: how much faster the quiet rate was than the loaded rate
-- as it stood when the quiet rate was measured. A receipt given in a burst
-- applies it to the rate now, so a quiet rate from an earlier day with a
-- different capacity does not carry over (0: not measured yet).
ALTER TABLE intake_drain ADD COLUMN loaded_per_sec DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE intake_drain ADD COLUMN quiet_speedup DOUBLE PRECISION NOT NULL DEFAULT 0;
