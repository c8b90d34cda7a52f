-- Batches sent from the web, followed from any server of a fleet (issue 16). A job is `queued`
-- when its file is received, `running` once a server has claimed it (`attempt` counts the
-- claims: the fencing token), then `done` (in the batch's own transaction: a job is done exactly
-- when its batch is committed) or `failed` (nothing judged). A running job whose server stopped
-- beating (`heartbeat_at` older than the lease) is marked `interrupted`: its batch transaction
-- was rolled back with the server, and an agent may start it again from the kept file. The file
-- is dropped once the job is done. `report` is what the job's page shows (JSON, no NIR).
CREATE TABLE batch_jobs (
    job_id {{AUTO_ID}},
    account_id BIGINT NOT NULL,
    file_name TEXT NOT NULL,
    file BYTEA,
    status TEXT NOT NULL,
    attempt BIGINT NOT NULL DEFAULT 0,
    owner TEXT,
    step BIGINT NOT NULL DEFAULT 1,
    done BIGINT NOT NULL DEFAULT 0,
    total BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    started_at TIMESTAMPTZ,
    heartbeat_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    batch_id BIGINT,
    report TEXT,
    error TEXT
);
CREATE INDEX batch_jobs_status ON batch_jobs (status);

-- Decisions a batch gave without writing them to `claims`: a claim id judged by an earlier batch
-- (its decision repeated, SPEC §8) or repeated within the file. With the claims the batch wrote,
-- they make its decisions file: one row per readable claim row, as `msp adjudicate --out`.
CREATE TABLE batch_repeats (
    batch_id BIGINT NOT NULL,
    position BIGINT NOT NULL,
    claim_id TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    rank BIGINT,
    tariff_cents BIGINT,
    amo_cents BIGINT,
    amo_payee TEXT,
    complementary_cents BIGINT,
    complementary_payer TEXT,
    complementary_route TEXT,
    state_cents BIGINT,
    patient_cents BIGINT,
    PRIMARY KEY (batch_id, position)
){{WITHOUT_ROWID}};

-- Scheduled work run once across the fleet (the expiry of applications, reminders): a server
-- runs a task only after moving `last_run_s` (Unix seconds) forward in the task's own
-- transaction, when the previous run is at least a period old; the others see the row moved
-- (PostgreSQL: they wait for its lock, then find it fresh) and skip.
CREATE TABLE scheduled_runs (
    task TEXT NOT NULL PRIMARY KEY,
    last_run_s BIGINT NOT NULL,
    owner TEXT
);
