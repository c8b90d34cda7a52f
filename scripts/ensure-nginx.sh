#!/usr/bin/env bash
# Installs Debian's nginx when missing, for the fleet test (crates/cli/tests/fleet.rs: two
# `msp serve` behind a real proxy on one PostgreSQL database). The test writes its own
# configuration and runs nginx as a child process on a free loopback port; the package's
# system service is not used. Idempotent; fails loudly when nginx cannot be installed.
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
echo "Installing nginx (Debian package)..." >&2
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx-light >/dev/null \
  || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx >/dev/null
# The package starts its own service on port 80: the tests do not need it.
if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now nginx >/dev/null 2>&1 || true; fi
$SUDO service nginx stop >/dev/null 2>&1 || true
if ! [ -x /usr/sbin/nginx ]; then
  echo "ERROR: nginx still missing after apt-get install" >&2
  exit 1
fi
