#!/usr/bin/env bash
# The whole test suite, on a fresh machine too: PostgreSQL and Chromium are provisioned first,
# then formatting, lints, every Rust test on SQLite and PostgreSQL, and the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-postgres.sh
bash scripts/ensure-chromium.sh
bash scripts/ensure-nginx.sh
bash scripts/ensure-oidc-provider.sh
export MSP_TEST_POSTGRES="${MSP_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
# In CI nothing may be skipped.
if [ "${CI:-}" = "true" ]; then unset MSP_SKIP_POSTGRES; fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# Includes the browser test (crates/web/tests/e2e.rs), which fails loudly without Chromium.
# A backstop: a test that hangs fails the run instead of holding CI (the browser tests also
# stop themselves after 5 minutes, saying what they were doing).
timeout --kill-after=30 2700 cargo test --workspace --locked
