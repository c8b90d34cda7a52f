#!/usr/bin/env bash
# The OpenID providers of the tests (scripts/oidc/provider.mjs): the npm package oidc-provider,
# at the version of the committed package-lock.json, installed into scripts/oidc/node_modules.
# Needs Node.js 20 or later with npm (Debian's nodejs and npm otherwise).
set -euo pipefail
cd "$(dirname "$0")/oidc"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -f node_modules/oidc-provider/package.json ] \
    || ! cmp -s package-lock.json node_modules/.msp-installed-lock.json; then
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.msp-installed-lock.json
fi
node -e "import('oidc-provider').then(() => console.log('oidc-provider', require('./node_modules/oidc-provider/package.json').version))"
