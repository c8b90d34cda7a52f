-- Statistics (SPEC §11): summary tables kept in step with adjudicated batches by
-- `msp_stats::refresh`, so that any "as of" question is answered without scanning the claims.
-- Everything here can be rebuilt from the claims: drop the rows and refresh.

-- Which batches the summaries already include.
CREATE TABLE stats_state (
    id BIGINT NOT NULL PRIMARY KEY,
    last_batch BIGINT NOT NULL
);

-- The first accepted session of each patient (to count patients once since launch).
CREATE TABLE stats_patients (
    nir TEXT NOT NULL PRIMARY KEY,
    first_day DATE NOT NULL,
    departement TEXT NOT NULL,
    sex TEXT NOT NULL,
    age_band BIGINT NOT NULL,
    c2s BIGINT NOT NULL
);

-- Accepted sessions and new patients per session day and département of the patient's residence.
-- r1..r12: accepted sessions of rank k (the k-th of the patient's calendar year), from which the
-- number of patients per year and the distribution of sessions per patient follow.
-- nf0..nf7 / nm0..nm7: new patients (first session ever) by sex and age band.
CREATE TABLE stats_days (
    day DATE NOT NULL,
    departement TEXT NOT NULL,
    region TEXT NOT NULL,
    y BIGINT NOT NULL,
    m BIGINT NOT NULL,
    sessions BIGINT NOT NULL,
    eep BIGINT NOT NULL,
    aps BIGINT NOT NULL,
    pss BIGINT NOT NULL,
    new_patients BIGINT NOT NULL,
    new_patients_c2s BIGINT NOT NULL,
    tariff_cents BIGINT NOT NULL,
    amo_cents BIGINT NOT NULL,
    amo_tiers_payant_cents BIGINT NOT NULL,
    c2s_cents BIGINT NOT NULL,
    amc_cents BIGINT NOT NULL,
    state_cents BIGINT NOT NULL,
    patient_cents BIGINT NOT NULL,
    r1 BIGINT NOT NULL, r2 BIGINT NOT NULL, r3 BIGINT NOT NULL, r4 BIGINT NOT NULL,
    r5 BIGINT NOT NULL, r6 BIGINT NOT NULL, r7 BIGINT NOT NULL, r8 BIGINT NOT NULL,
    r9 BIGINT NOT NULL, r10 BIGINT NOT NULL, r11 BIGINT NOT NULL, r12 BIGINT NOT NULL,
    nf0 BIGINT NOT NULL, nf1 BIGINT NOT NULL, nf2 BIGINT NOT NULL, nf3 BIGINT NOT NULL,
    nf4 BIGINT NOT NULL, nf5 BIGINT NOT NULL, nf6 BIGINT NOT NULL, nf7 BIGINT NOT NULL,
    nm0 BIGINT NOT NULL, nm1 BIGINT NOT NULL, nm2 BIGINT NOT NULL, nm3 BIGINT NOT NULL,
    nm4 BIGINT NOT NULL, nm5 BIGINT NOT NULL, nm6 BIGINT NOT NULL, nm7 BIGINT NOT NULL,
    PRIMARY KEY (day, departement)
);

-- The refresh reads one batch's claims at a time.
CREATE INDEX claims_by_batch ON claims (batch_id);
