-- Core records: the national registry, conventions, beneficiaries, claims and their decisions.
-- Identifiers are stored in canonical text form (RPPS 11 digits, NIR 15 characters).

CREATE TABLE registry (
    rpps TEXT NOT NULL PRIMARY KEY,
    last_name TEXT NOT NULL,
    first_name TEXT NOT NULL,
    profession_code TEXT NOT NULL,
    practice_mode TEXT NOT NULL CHECK (practice_mode IN ('L', 'S', 'M', 'B')),
    commune_insee TEXT
);

CREATE TABLE conventions (
    rpps TEXT NOT NULL,
    start_date DATE NOT NULL,
    end_date DATE,
    cpam TEXT NOT NULL,
    PRIMARY KEY (rpps, start_date)
);

CREATE TABLE suspensions (
    rpps TEXT NOT NULL,
    from_date DATE NOT NULL,
    to_date DATE,
    reason TEXT NOT NULL,
    PRIMARY KEY (rpps, from_date)
);

-- A CPAM exclusion ends the psychologist's participation from that date.
CREATE TABLE psychologist_exclusions (
    rpps TEXT NOT NULL PRIMARY KEY,
    from_date DATE NOT NULL,
    reason TEXT NOT NULL
);

CREATE TABLE beneficiaries (
    nir TEXT NOT NULL PRIMARY KEY,
    birth_date DATE NOT NULL,
    sex TEXT NOT NULL CHECK (sex IN ('M', 'F')),
    regime TEXT NOT NULL CHECK (regime IN ('general', 'alsace_moselle')),
    rights_from DATE,
    rights_to DATE,
    ame_from DATE,
    ame_to DATE,
    c2s_from DATE,
    c2s_to DATE,
    amc_id TEXT,
    noemie BIGINT NOT NULL DEFAULT 0,
    commune_insee TEXT
);

CREATE TABLE patient_exclusions (
    nir TEXT NOT NULL,
    from_date DATE NOT NULL,
    to_date DATE,
    PRIMARY KEY (nir, from_date)
);

CREATE TABLE batches (
    batch_id {{AUTO_ID}},
    source TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    claims BIGINT NOT NULL,
    accepted BIGINT NOT NULL,
    rejected BIGINT NOT NULL
);

-- A claim and its decision, written once in the transaction that judged it. The big keyed
-- tables are clustered on their key in SQLite (WITHOUT ROWID): one B-tree per row written.
CREATE TABLE claims (
    claim_id TEXT NOT NULL PRIMARY KEY,
    batch_id BIGINT NOT NULL,
    received_date DATE NOT NULL,
    rpps TEXT NOT NULL,
    nir TEXT NOT NULL,
    session_date DATE NOT NULL,
    session_year BIGINT NOT NULL,
    session_month BIGINT NOT NULL,
    act TEXT NOT NULL,
    amount_cents BIGINT NOT NULL,
    context TEXT NOT NULL,
    tiers_payant BIGINT NOT NULL,
    referral_date DATE,
    referrer_id TEXT,
    referrer_kind TEXT,
    status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
    reason TEXT,
    rank BIGINT,
    tariff_cents BIGINT,
    amo_cents BIGINT,
    amo_payee TEXT,
    complementary_cents BIGINT,
    complementary_payer TEXT,
    complementary_route TEXT,
    state_cents BIGINT,
    patient_cents BIGINT
){{WITHOUT_ROWID}};

-- Accepted sessions: at most one per patient and day.
CREATE TABLE accepted_sessions (
    nir TEXT NOT NULL,
    session_date DATE NOT NULL,
    rpps TEXT NOT NULL,
    act TEXT NOT NULL,
    claim_id TEXT NOT NULL,
    PRIMARY KEY (nir, session_date)
){{WITHOUT_ROWID}};

-- Per-patient, per-calendar-year counters, so that judging never recounts history.
CREATE TABLE patient_years (
    nir TEXT NOT NULL,
    year BIGINT NOT NULL,
    accepted BIGINT NOT NULL,
    first_eep DATE,
    PRIMARY KEY (nir, year)
){{WITHOUT_ROWID}};

-- Who read or changed someone's personal data, when and why. Append-only.
CREATE TABLE audit_log (
    id {{AUTO_ID}},
    at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    reason TEXT NOT NULL
);
