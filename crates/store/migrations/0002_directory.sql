-- Public directory cards (SPEC §9): one per psychologist, edited by the psychologist.
-- Whether a card is listed is decided on the day from conventions, suspensions and exclusions,
-- never stored here. Coordinates are the commune's (geocoded offline by the application).

CREATE TABLE directory_cards (
    rpps TEXT NOT NULL PRIMARY KEY,
    address1_line TEXT NOT NULL,
    address1_postal_code TEXT NOT NULL,
    address1_insee TEXT NOT NULL,
    address1_latitude DOUBLE PRECISION NOT NULL,
    address1_longitude DOUBLE PRECISION NOT NULL,
    address2_line TEXT,
    address2_postal_code TEXT,
    address2_insee TEXT,
    address2_latitude DOUBLE PRECISION,
    address2_longitude DOUBLE PRECISION,
    -- Contact details are kept even when hidden; *_public says whether the card shows them.
    phone TEXT,
    phone_public BIGINT NOT NULL DEFAULT 0,
    email TEXT,
    email_public BIGINT NOT NULL DEFAULT 0,
    website TEXT,
    website_public BIGINT NOT NULL DEFAULT 0,
    structure_name TEXT,
    -- ISO 639 codes of the languages spoken besides French, comma-separated ('' for none).
    languages TEXT NOT NULL DEFAULT '',
    public TEXT NOT NULL CHECK (public IN ('adultes', 'adultes_adolescents', 'adultes_adolescents_enfants', 'enfants')),
    teleconsultation BIGINT NOT NULL DEFAULT 0,
    -- NULL: never said.
    accepting_new_patients BIGINT,
    availability_confirmed_on DATE,
    updated_at TIMESTAMPTZ NOT NULL
);
