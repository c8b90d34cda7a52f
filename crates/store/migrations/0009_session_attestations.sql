-- What the psychologist records with a session besides consents (SPEC §5, §6): the clinical
-- inclusion criterion assessed at the EEP (their judgement; the system cannot check it), and
-- the patient's agreement that a short report be sent to their médecin traitant (direct access).
ALTER TABLE session_records ADD COLUMN inclusion TEXT;
ALTER TABLE session_records ADD COLUMN report_to_gp BIGINT NOT NULL DEFAULT 0;
