#!/usr/bin/env bash
# The whole test suite, on a fresh machine too: PostgreSQL and Chromium are provisioned first,
# then formatting, lints, every Rust test on SQLite and PostgreSQL, and the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-postgres.sh
export MSP_TEST_POSTGRES="${MSP_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}"
# In CI nothing may be skipped.
if [ "${CI:-}" = "true" ]; then unset MSP_SKIP_POSTGRES; fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked

if [ -f scripts/e2e.sh ]; then
  bash scripts/e2e.sh
fi
