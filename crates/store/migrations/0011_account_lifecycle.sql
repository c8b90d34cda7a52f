-- Account lifecycle (deactivation, password reset by an admin, change by its holder) and an
-- audit log that the database itself keeps append-only.

-- Set when an admin resets the password: until its holder chooses a new one, the account reaches
-- the password page only.
ALTER TABLE accounts ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;

-- The audit log refuses any change or removal, whoever asks (the application offers none; this
-- also stops a mistaken script or a compromised request path). Inserting stays allowed.
{{SQLITE}}
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'journal d’audit en ajout seul');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'journal d’audit en ajout seul');
END;
{{END}}
{{POSTGRES}}
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'journal d’audit en ajout seul' USING ERRCODE = 'raise_exception';
END;
$$;
CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
-- TRUNCATE fires no row trigger: a statement trigger refuses it too.
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
{{END}}
