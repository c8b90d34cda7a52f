-- The errors report of a batch judged from the web (SPEC §8): its unreadable rows, kept with the
-- batch so the report can be downloaded later. `line` is the editor line in the file (the
-- header is line 1), `field` the column at fault ('' when the row as a whole is wrong). The
-- message is French and never holds a NIR: `batch_errors::record` masks values it would echo.
CREATE TABLE batch_errors (
    batch_id BIGINT NOT NULL,
    line BIGINT NOT NULL,
    field TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (batch_id, line, field)
){{WITHOUT_ROWID}};
