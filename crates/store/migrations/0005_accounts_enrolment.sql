-- Accounts, sessions and the conventionnement workflow (SPEC §2, §10).

CREATE TABLE accounts (
    account_id {{AUTO_ID}},
    -- Lower-cased, trimmed.
    email TEXT NOT NULL UNIQUE,
    -- Argon2id PHC string.
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('patient', 'psychologue', 'medecin', 'sage_femme', 'expert', 'agent_cpam', 'analyste_ars', 'admin')),
    display_name TEXT NOT NULL,
    -- Région code of an ARS analyst; département code of a CPAM agent (NULL: all).
    territory TEXT,
    active BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    created_by TEXT NOT NULL
);

-- Server-side sessions; the cookie carries the token, the table only its SHA-256.
CREATE TABLE sessions (
    token_hash TEXT NOT NULL PRIMARY KEY,
    account_id BIGINT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Failed sign-ins, for rate limiting (kept 1 day).
CREATE TABLE login_failures (
    id {{AUTO_ID}},
    email TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, at);

-- One application per psychologist account (a rejected applicant may file a new one).
CREATE TABLE applications (
    application_id {{AUTO_ID}},
    account_id BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('brouillon', 'deposee', 'acceptee', 'refusee')),
    rpps TEXT NOT NULL DEFAULT '',
    adeli TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    first_name TEXT NOT NULL DEFAULT '',
    diploma TEXT NOT NULL DEFAULT '',
    experience_months BIGINT NOT NULL DEFAULT 0,
    address1_line TEXT NOT NULL DEFAULT '',
    address1_postal_code TEXT NOT NULL DEFAULT '',
    address1_insee TEXT NOT NULL DEFAULT '',
    address2_line TEXT NOT NULL DEFAULT '',
    address2_postal_code TEXT NOT NULL DEFAULT '',
    address2_insee TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    -- Date the file was complete and filed: the 4-month deadline runs from it.
    complete_on DATE,
    decided_on DATE,
    decided_by TEXT,
    decision_reason TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX applications_account ON applications (account_id);
CREATE INDEX applications_status ON applications (status);

CREATE TABLE application_documents (
    document_id {{AUTO_ID}},
    application_id BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('diplome', 'experience', 'autre')),
    filename TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    content BYTEA NOT NULL,
    uploaded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX application_documents_app ON application_documents (application_id);

-- Every step of an application, never rewritten.
CREATE TABLE application_events (
    id {{AUTO_ID}},
    application_id BIGINT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    event TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX application_events_app ON application_events (application_id);

-- Every change to a psychologist's convention (signature, suspension, exclusion, withdrawal),
-- dated and kept: the keyed tables hold the current state, this one the history.
CREATE TABLE convention_events (
    id {{AUTO_ID}},
    rpps TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('signature', 'suspension', 'exclusion', 'retrait')),
    effective_on DATE NOT NULL,
    until_on DATE,
    reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX convention_events_rpps ON convention_events (rpps);
