-- The notifier: the language applicants are written to in, verified email
-- addresses, one row per message (the idempotency key), and the per-day
-- count of re-sent verification links.

ALTER TABLE registrations
    ADD COLUMN language TEXT NOT NULL DEFAULT 'id' CHECK (language IN ('id', 'en')),
    -- Set once, by the first valid verification link; never cleared.
    ADD COLUMN email_verified_at TIMESTAMPTZ;

-- At most one message per (registration, event, channel): the key is claimed
-- before sending and marked after. `event` names the news, not the
-- delivery (`verified`, `rejected.under_18`, `selected`,
-- `email_verification.2020-04-11.2`), so a republished event is still one
-- message.
CREATE TABLE notifications (
    registration_id  TEXT NOT NULL REFERENCES registrations (id),
    event            TEXT NOT NULL,
    channel          TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    -- claimed: a notifier is sending it (until claimed_until); pending: a
    -- transient failure released it; sent; failed: permanent, not retried.
    state            TEXT NOT NULL CHECK (state IN ('claimed', 'pending', 'sent', 'failed')),
    claimed_until    TIMESTAMPTZ,
    attempts         INTEGER NOT NULL DEFAULT 1,
    -- Short reason label of the last failure; never personal data.
    failure          TEXT,
    provider_id      TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at          TIMESTAMPTZ,
    PRIMARY KEY (registration_id, event, channel)
);

-- Operators look for what is stuck or failed, never at what was sent.
CREATE INDEX notifications_unsent_idx ON notifications (state, created_at) WHERE state <> 'sent';

-- Re-sent verification links per registration and WIB day (the resend limit).
CREATE TABLE email_verification_resends (
    registration_id  TEXT NOT NULL REFERENCES registrations (id),
    day              DATE NOT NULL,
    count            INTEGER NOT NULL CHECK (count > 0),
    PRIMARY KEY (registration_id, day)
);
