-- A patient's account is tied to one beneficiary (NIR), set by the admin who creates it.
CREATE TABLE patient_accounts (
    account_id BIGINT NOT NULL PRIMARY KEY,
    nir TEXT NOT NULL UNIQUE
);
