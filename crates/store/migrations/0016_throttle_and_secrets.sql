-- Sign-in throttling without lock-out (issue 11). One row per bucket: a (account, client
-- address) pair or a client address alone, named by a SHA-256 digest (the table holds neither
-- typed e-mails nor addresses). `failures` counts the failures since the bucket was last
-- forgotten; `blocked_until` is when the next attempt is heard again. Times are Unix seconds.
-- In the database so that every server behind the proxy shares the counters.
CREATE TABLE sign_in_throttle (
    bucket TEXT NOT NULL PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure BIGINT NOT NULL,
    blocked_until BIGINT NOT NULL
);
CREATE INDEX sign_in_throttle_last ON sign_in_throttle (last_failure);

-- The per-e-mail counter it replaces: it let anyone lock anyone out.
DROP TABLE login_failures;

-- Secrets of the server, generated at first start (hex): `patient_ref_key` keys the
-- pseudonymous patient references of the audit log and the API (HMAC-SHA-256 of the NIR).
CREATE TABLE server_secrets (
    name TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
