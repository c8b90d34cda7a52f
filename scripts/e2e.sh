#!/usr/bin/env bash
# Browser tests: installs Chromium + chromedriver if needed, then runs crates/web/tests/e2e.rs
# (a person searches a town, picks a suggestion, filters, opens a card) and e2e_pathway.rs (a
# doctor issues a letter, a psychologist verifies it, records and cancels sessions, the patient
# reads their year); axe-core audits every page and fails on any serious or critical violation.
# Never skips: a missing browser is an error.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-chromium.sh
cargo test -p msp-web --locked --test e2e --test e2e_pathway -- --nocapture
