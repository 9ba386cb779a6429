-- The support desk's look-ups per token holder and clock hour: one row per
-- holder and hour, counted by one statement, so every admin replica
-- enforces the same bound. Old hours are worth nothing once past; the
-- counter deletes its holder's finished hours as it goes.
CREATE TABLE support_lookup_counts (
    actor   TEXT NOT NULL,
    hour    TIMESTAMPTZ NOT NULL,
    count   INTEGER NOT NULL CHECK (count > 0),
    PRIMARY KEY (actor, hour)
);
