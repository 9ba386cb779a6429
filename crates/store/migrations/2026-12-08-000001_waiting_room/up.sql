-- The waiting room: an ordered queue per wave, shared by every gateway
-- replica, and the intake's measured drain rate that paces it.

-- One row per wave that runs a waiting room. Each wave also gets its own
-- sequence, `waitroom_seq_<wave>`, created with this row: positions are
-- consecutive within a wave (gaps only where two joins of one client race).
CREATE TABLE waitroom_waves (
    wave_id        INTEGER PRIMARY KEY CHECK (wave_id > 0),
    opens_at       TIMESTAMPTZ NOT NULL,
    -- The pre-opening group has been placed in a random order.
    drawn          BOOLEAN NOT NULL DEFAULT false,
    -- Every ticket at or below this position has been let in.
    admitted_upto  BIGINT NOT NULL DEFAULT 0 CHECK (admitted_upto >= 0),
    -- The rate the last tick let tickets in at, and the fraction of a ticket
    -- it owed (carried to the next tick, never banked past an empty queue).
    admit_per_sec  DOUBLE PRECISION NOT NULL DEFAULT 0,
    admit_credit   DOUBLE PRECISION NOT NULL DEFAULT 0,
    -- One gateway advances the mark per period: the one whose update of this
    -- column wins.
    ticked_at      TIMESTAMPTZ NOT NULL DEFAULT '1970-01-01T00:00:00Z'
);

CREATE TABLE waitroom_tickets (
    id               UUID PRIMARY KEY,
    wave_id          INTEGER NOT NULL REFERENCES waitroom_waves (wave_id),
    -- Keyed hash of the client key (address or a trusted proxy's key): one
    -- ticket per client per wave. Never the clear address.
    client_key       BYTEA NOT NULL CHECK (octet_length(client_key) = 32),
    -- NULL until the pre-opening draw places it.
    position         BIGINT,
    -- Random order of the pre-opening group.
    draw             BIGINT NOT NULL,
    joined_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- The wait announced when the ticket was first seen with a position,
    -- and when (for the estimate-error metric).
    estimate_secs    DOUBLE PRECISION,
    estimated_at     TIMESTAMPTZ,
    admitted_at      TIMESTAMPTZ,
    -- The registration this ticket was used for (bound on first use).
    registration_id  TEXT CHECK (registration_id ~ '^[0-9a-f]{32}$'),
    used_at          TIMESTAMPTZ,
    expired_at       TIMESTAMPTZ,
    CONSTRAINT waitroom_tickets_client_key UNIQUE (wave_id, client_key),
    CONSTRAINT waitroom_tickets_position_key UNIQUE (wave_id, position)
);

-- Tickets still waiting for the pre-opening draw (or joined during it).
CREATE INDEX waitroom_tickets_unplaced_idx ON waitroom_tickets (wave_id) WHERE position IS NULL;
-- Permissions handed out and not used yet: counted and expired every tick.
CREATE INDEX waitroom_tickets_outstanding_idx ON waitroom_tickets (wave_id, admitted_at)
    WHERE admitted_at IS NOT NULL AND used_at IS NULL AND expired_at IS NULL;

-- The intake's drain rate, measured by whichever gateway samples first in a
-- period from the registrations leaving `queued` (status_history), and read
-- by every replica. One row.
CREATE TABLE intake_drain (
    id               BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    -- status_history rows up to this id have been counted.
    last_history_id  BIGINT NOT NULL DEFAULT 0,
    -- Smoothed registrations leaving `queued` per second, and the smoothed
    -- variance of the per-period rate (for ranges).
    per_sec          DOUBLE PRECISION NOT NULL DEFAULT 0,
    variance         DOUBLE PRECISION NOT NULL DEFAULT 0,
    sampled_at       TIMESTAMPTZ NOT NULL DEFAULT '1970-01-01T00:00:00Z'
);
INSERT INTO intake_drain DEFAULT VALUES;
