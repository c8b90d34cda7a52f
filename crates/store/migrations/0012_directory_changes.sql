-- Every write to what the public directory shows (cards, registry names, conventions,
-- suspensions, exclusions) bumps one counter, from triggers so that no writer can forget it:
-- the web server, an import on the command line, a hand-written SQL fix. Servers watch the
-- counter (SQLite) or listen to the notification sent at commit (PostgreSQL) and reload.
CREATE TABLE directory_changes (
    id BIGINT NOT NULL PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO directory_changes (id, version) VALUES (1, 0);
{{POSTGRES}}
CREATE FUNCTION msp_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE directory_changes SET version = version + 1 WHERE id = 1;
    PERFORM pg_notify('msp_annuaire', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
CREATE TRIGGER directory_cards_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON directory_cards
    FOR EACH STATEMENT EXECUTE FUNCTION msp_directory_changed();
CREATE TRIGGER registry_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON registry
    FOR EACH STATEMENT EXECUTE FUNCTION msp_directory_changed();
CREATE TRIGGER conventions_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON conventions
    FOR EACH STATEMENT EXECUTE FUNCTION msp_directory_changed();
CREATE TRIGGER suspensions_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON suspensions
    FOR EACH STATEMENT EXECUTE FUNCTION msp_directory_changed();
CREATE TRIGGER psychologist_exclusions_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON psychologist_exclusions
    FOR EACH STATEMENT EXECUTE FUNCTION msp_directory_changed();
{{END}}
{{SQLITE}}
CREATE TRIGGER directory_cards_insert_changed AFTER INSERT ON directory_cards
BEGIN UPDATE directory_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER directory_cards_update_changed AFTER UPDATE ON directory_cards
BEGIN UPDATE directory_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER directory_cards_delete_changed AFTER DELETE ON directory_cards
BEGIN UPDATE directory_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER registry_insert_changed AFTER INSERT ON registry
BEGIN UPDATE directory_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER registry_update_changed AFTER UPDATE ON registry
BEGIN UPDATE directory_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER registry_delete_changed AFTER DELETE ON registry
BEGIN UPDATE directory_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER conventions_insert_changed AFTER INSERT ON conventions
BEGIN UPDATE directory_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER conventions_update_changed AFTER UPDATE ON conventions
BEGIN UPDATE directory_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER conventions_delete_changed AFTER DELETE ON conventions
BEGIN UPDATE directory_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER suspensions_insert_changed AFTER INSERT ON suspensions
BEGIN UPDATE directory_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER suspensions_update_changed AFTER UPDATE ON suspensions
BEGIN UPDATE directory_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER suspensions_delete_changed AFTER DELETE ON suspensions
BEGIN UPDATE directory_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER psychologist_exclusions_insert_changed AFTER INSERT ON psychologist_exclusions
BEGIN UPDATE directory_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER psychologist_exclusions_update_changed AFTER UPDATE ON psychologist_exclusions
BEGIN UPDATE directory_changes SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER psychologist_exclusions_delete_changed AFTER DELETE ON psychologist_exclusions
BEGIN UPDATE directory_changes SET version = version + 1 WHERE id = 1; END;
{{END}}
