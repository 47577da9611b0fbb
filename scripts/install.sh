#!/usr/bin/env bash
# Installs the npm packages when they are missing or older than package-lock.json. Idempotent and quiet when warm.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "Installing npm packages (npm ci; about a minute the first time)…"
  npm ci --no-audit --no-fund --loglevel=error
fi
