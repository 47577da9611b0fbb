#!/usr/bin/env bash
# Quick start, second command: the whole test suite (type check, lint, jest on a real Temporal dev server and a
# real PostgreSQL that the jest harness starts and stops). Installs what it needs by itself.
# Ends with one plain line: "N passed, N failed" (jest tests + the type check + the lint).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh || exit 1
# The Temporal CLI is built once per machine and cached outside the clone (see scripts/temporal-cli.ts).
node node_modules/tsx/dist/cli.mjs scripts/temporal-cli.ts >/dev/null || exit 1
node node_modules/tsx/dist/cli.mjs scripts/temporal-test-server.ts >/dev/null || exit 1  # the time-skipping tier's Java test server (Maven Central), cached the same way
node node_modules/tsx/dist/cli.mjs scripts/temporal-cluster.ts >/dev/null || exit 1  # the Temporal server binary and temporal-sql-tool (the cluster test), built with Go and cached the same way
node node_modules/tsx/dist/cli.mjs scripts/stripe-mock.ts >/dev/null || exit 1  # Stripe's mock server (the Stripe adapter's tests), built with Go and cached the same way
bash scripts/ensure-chromium.sh || exit 1

passed=0; failed=0
check() {
  local name=$1; shift
  echo "== $name"
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "!! $name failed"; fi
}
check "type check" npx tsc --noEmit -p tsconfig.json
check "lint" npx eslint --max-warnings=0 .

echo "== jest"
results=$(mktemp --suffix=.json)
npx jest --json --outputFile="$results" "$@"
jest_status=$?
if [ -s "$results" ]; then
  read -r jp jf < <(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); const broken=r.testResults.filter(t=>t.status==="failed"&&t.assertionResults.length===0).length; console.log(r.numPassedTests, r.numFailedTests+broken)' "$results")
  passed=$((passed + jp)); failed=$((failed + jf))
  [ "$jest_status" -ne 0 ] && [ "$jf" -eq 0 ] && failed=$((failed + 1))
else
  failed=$((failed + 1))
fi
rm -f "$results"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
