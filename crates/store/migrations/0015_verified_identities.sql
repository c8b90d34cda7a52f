-- Verified identities (issue 11): the RPPS of a professional's account, fixed once from a
-- verified source (Pro Santé Connect, or the registry check of an admin or the command line
-- creating the account), never from a form; the identities of OpenID Connect providers bound to
-- accounts; the sign-ins under way (state, nonce, PKCE verifier), each usable once.

ALTER TABLE accounts ADD COLUMN rpps TEXT;
-- One RPPS belongs to at most one account (with the accepted applications' index of 0013).
CREATE UNIQUE INDEX accounts_one_rpps ON accounts (rpps) WHERE rpps IS NOT NULL;

-- An account signs in through a provider with the provider's subject (`sub`).
CREATE TABLE oidc_identities (
    provider TEXT NOT NULL,
    subject TEXT NOT NULL,
    account_id BIGINT NOT NULL,
    -- FranceConnect's birth date (AAAA-MM-JJ), that the patient's NIR must match once.
    birthdate TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider, subject)
);
CREATE INDEX oidc_identities_account ON oidc_identities (account_id);

-- An authorization request sent to a provider, keyed by the SHA-256 of its `state`; the
-- callback consumes it (a replayed `state` finds nothing).
CREATE TABLE oidc_requests (
    state_hash TEXT NOT NULL PRIMARY KEY,
    provider TEXT NOT NULL,
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
