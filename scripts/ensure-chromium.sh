#!/usr/bin/env bash
# Browser tests drive Debian's Chromium with playwright-core (a test tool's own browser download cannot work here).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if ! command -v apt-get >/dev/null; then
  echo "Browser tests need Chromium at /usr/bin/chromium (Debian package 'chromium'); install it and rerun." >&2
  exit 1
fi
echo "Installing Chromium for the browser tests (apt-get; about a minute the first time)…"
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
