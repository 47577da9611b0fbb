#!/usr/bin/env bash
# Quick start, first command: installs what it needs (npm packages, the Temporal CLI), then runs the local stack.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
# `node --import tsx`, not the tsx CLI: one process, so Ctrl-C / SIGINT / SIGTERM reach stack.ts itself, which stops
# the services in order. (The CLI relays a signal to its child and SIGKILLs it if the child does not acknowledge
# within 30 ms, which on a busy machine killed stack.ts mid-cleanup and left the services running.)
exec node --import tsx scripts/stack.ts "$@"
