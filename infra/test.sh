#!/usr/bin/env bash
# `npm test`: the whole suite on the real local stack. Installs what is missing (cached under
# ~/.cache/clicklake), brings the stack up once, runs every jest project (unit, engine, workflows, replay,
# integration) in one jest run, and ends with one "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/node-setup.sh
npx --no-install eslint .
node bin/clicklake.js stack up
results=$(mktemp)
status=0
npx --no-install jest --ci --json --outputFile="$results" "$@" || status=$?
node -e '
  const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' "$results" || true
rm -f "$results"
exit "$status"
