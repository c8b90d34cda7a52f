-- Patient pathway: sessions recorded on line by psychologists (the consents they attest, and a
-- cancellation when recorded by mistake) and referral letters issued by doctors and midwives.

-- One row per claim recorded through the web or the API (the claim itself is in `claims`).
CREATE TABLE session_records (
    claim_id TEXT NOT NULL PRIMARY KEY,
    account_id BIGINT NOT NULL,
    -- The patient's consent to the programme, attested by the psychologist.
    consent BIGINT NOT NULL,
    -- Minors: the written consent of both holders of parental authority.
    parental_consent BIGINT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL,
    cancelled_at TIMESTAMPTZ,
    cancelled_by TEXT,
    cancel_reason TEXT
);
CREATE INDEX session_records_account ON session_records (account_id);

-- A courrier d'adressage issued in the system. Never a number of sessions (SPEC §6).
CREATE TABLE referral_letters (
    code TEXT NOT NULL PRIMARY KEY,
    account_id BIGINT NOT NULL,
    referrer_kind TEXT NOT NULL CHECK (referrer_kind IN ('medecin', 'sage_femme')),
    referrer_name TEXT NOT NULL,
    referrer_id TEXT NOT NULL,
    patient_nir TEXT NOT NULL,
    patient_name TEXT NOT NULL,
    letter_date DATE NOT NULL,
    context TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX referral_letters_account ON referral_letters (account_id);
