-- Psychologists keep their card fresh (issue 12): the indicative delay for a first appointment,
-- single-use links that confirm availability without signing in, and the reminders sent (or,
-- without SMTP, only recorded) at day 21 without confirmation.

-- NULL: not said; 'semaine' (within a week), 'mois' (within a month), 'plus_mois' (more than a
-- month). Only meaningful while accepting_new_patients is 1.
ALTER TABLE directory_cards ADD COLUMN first_appointment_delay TEXT;

-- One row per link of a reminder; the links of one reminder share `batch`, and using any of
-- them uses them all. Only the SHA-256 of the token is kept.
CREATE TABLE availability_links (
    token_hash TEXT NOT NULL PRIMARY KEY,
    batch TEXT NOT NULL,
    rpps TEXT NOT NULL,
    accepting BIGINT NOT NULL,
    delay TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
CREATE INDEX availability_links_batch ON availability_links (batch);

-- One reminder per psychologist and confirmation: `basis` is the confirmation date the
-- reminder is about (AAAA-MM-JJ), or 'jamais' for a card never confirmed.
CREATE TABLE availability_reminders (
    rpps TEXT NOT NULL,
    basis TEXT NOT NULL,
    recipient TEXT NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL,
    -- 1: handed to the SMTP server; 0: no SMTP configured, only recorded for the admin.
    delivered BIGINT NOT NULL,
    subject TEXT NOT NULL,
    -- The message as sent, with the personal links replaced by « [lien personnel] ».
    body TEXT NOT NULL,
    PRIMARY KEY (rpps, basis)
);
