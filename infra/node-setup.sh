#!/usr/bin/env bash
# Makes the checkout runnable: node_modules matching package-lock.json (installed only when the lock
# changed since the last install) and dist/ compiled from the TypeScript sources.
# `npm install --no-save` rather than `npm ci`: the lock names DuckDB's native packages for other
# platforms that the registry mirror here does not serve, and `npm ci` refuses a lock without them.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v node >/dev/null || { echo "clicklake: Node.js 20+ is needed (apt-get install nodejs, or your version manager)" >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "clicklake: Node.js 20+ is needed, found $(node --version)" >&2; exit 1; }

stamp=node_modules/.clicklake-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "clicklake: installing npm dependencies" >&2
  npm install --no-save --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi

npx --no-install tsc -p tsconfig.json --incremental --tsBuildInfoFile dist/.tsbuildinfo >&2
