-- A session recorded by mistake can be cancelled (issue 6): its claim keeps the decision it got
-- and takes the status `cancelled`, so it no longer counts towards the ceiling, payments or
-- statistics. Who cancelled it, when and why is in `session_records` and the audit log.
-- The CHECK is written `IN (two values) OR = third`: SQLite compiles an IN list of three or
-- more values into a temporary B-tree built for every row inserted (40 % of the time a batch
-- spends writing claim rows).
{{POSTGRES}}
ALTER TABLE claims DROP CONSTRAINT claims_status_check;
ALTER TABLE claims ADD CONSTRAINT claims_status_check
    CHECK (status IN ('accepted', 'rejected') OR status = 'cancelled');
{{END}}
{{SQLITE}}
-- SQLite cannot change a CHECK constraint: the table is rebuilt, unchanged otherwise.
CREATE TABLE claims_v8 (
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
    status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected') OR status = 'cancelled'),
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
) WITHOUT ROWID;
INSERT INTO claims_v8 SELECT * FROM claims;
DROP TABLE claims;
ALTER TABLE claims_v8 RENAME TO claims;
CREATE INDEX claims_by_batch ON claims (batch_id);
{{END}}
