-- Statistics: the statuses chosen by disclosure control (primary and complementary secrecy),
-- kept per state of the summaries so that a new process (`msp stats`, another server) reads
-- them instead of solving the problem again. `version` is a hash of the monthly counters and
-- of the method (only the latest is kept); `statuses` holds one byte per cell (0 in clear, 1 primary, 2 complementary).
CREATE TABLE stats_secrecy (
    version TEXT PRIMARY KEY,
    cells BIGINT NOT NULL,
    statuses BYTEA NOT NULL
);
