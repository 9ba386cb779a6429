-- The support desk: who looked at or acted on which registration and why
-- (append-only), the per-day limits of agents' actions, and the replay
-- requests agents file for operators.

-- One row per look-up, action or refusal of the admin API's support desk
-- and per refused admin request. Never the looked-up value: only its kind.
CREATE TABLE access_log (
    id               BIGSERIAL PRIMARY KEY,
    at               TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- The token holder's name; '-' when no valid token was presented.
    actor            TEXT NOT NULL,
    -- 'agent' or 'operator'; NULL when no valid token was presented.
    role             TEXT,
    action           TEXT NOT NULL,
    -- 'nik', 'email' or 'phone' for a look-up.
    lookup_kind      TEXT,
    -- The registrations a look-up found or an action named. No foreign key:
    -- a refused request may name an id that does not exist.
    registration_ids TEXT[] NOT NULL DEFAULT '{}',
    reason           TEXT,
    outcome          TEXT NOT NULL,
    detail           TEXT
);

CREATE INDEX access_log_at_idx ON access_log (at, id);
CREATE INDEX access_log_actor_idx ON access_log (actor, at);
CREATE INDEX access_log_registrations_idx ON access_log USING gin (registration_ids);

CREATE FUNCTION access_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'access_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER access_log_no_update_delete
    BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only();

CREATE TRIGGER access_log_no_truncate
    BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only();

-- Agents' actions per registration, action and day (WIB): counted in one
-- statement, so every admin replica sees the same count.
CREATE TABLE support_action_counts (
    registration_id  TEXT NOT NULL,
    action           TEXT NOT NULL,
    day              DATE NOT NULL,
    count            INTEGER NOT NULL CHECK (count > 0),
    PRIMARY KEY (registration_id, action, day)
);

-- An agent's request that an operator replay a registration's dead letters.
-- No foreign key: a registration dead-lettered before the verifier recorded
-- it has no row.
CREATE TABLE replay_requests (
    id               BIGSERIAL PRIMARY KEY,
    registration_id  TEXT NOT NULL,
    requested_by     TEXT NOT NULL,
    reason           TEXT NOT NULL,
    requested_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    state            TEXT NOT NULL DEFAULT 'open'
                     CHECK (state IN ('open', 'replayed', 'declined')),
    handled_by       TEXT,
    handled_at       TIMESTAMPTZ,
    note             TEXT,
    CHECK ((state = 'open') = (handled_at IS NULL))
);

-- One open request per registration: a second agent's request joins it.
CREATE UNIQUE INDEX replay_requests_one_open ON replay_requests (registration_id)
    WHERE state = 'open';
CREATE INDEX replay_requests_state_idx ON replay_requests (state, id);
