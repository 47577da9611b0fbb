#!/usr/bin/env bash
# Quick start, first command: installs what it needs (npm packages, the Temporal CLI), then runs the local stack.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec node node_modules/tsx/dist/cli.mjs scripts/stack.ts
