#!/usr/bin/env bash
# Makes the checkout runnable: node_modules matching package-lock.json (installed only when the lock
# changed since the last install) and dist/ compiled from the TypeScript sources.
# `npm install --no-save` rather than `npm ci`: the lock names DuckDB's native packages for other
# platforms that the registry mirror here does not serve, and `npm ci` refuses a lock without them.
set -euo pipefail
cd "$(dirname "$0")/.."

# Node 20.19.4 is the floor package.json's engines states: @platformatic/kafka asks for it, and its
# dependencies @platformatic/dynamic-buffer and wasm-utils are ES modules loaded with require(), which
# Node has without a flag from 20.19 on (they state ">= 22.19.0", but need nothing newer: the whole
# suite passes on 20.20). Checked here, with the version found, before npm prints its EBADENGINE warnings.
command -v node >/dev/null || { echo "clicklake: Node.js >= 20.19.4 is needed (apt-get install nodejs, or your version manager)" >&2; exit 1; }
node -e '
  const [a, b, c] = process.versions.node.split(".").map(Number);
  if (a > 20 || (a === 20 && (b > 19 || (b === 19 && c >= 4)))) process.exit(0);
  console.error(`clicklake: Node.js >= 20.19.4 is needed (require() of ES modules, used by the Kafka client), found ${process.version}`);
  process.exit(1);
' || exit 1

stamp=node_modules/.clicklake-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "clicklake: installing npm dependencies" >&2
  npm install --no-save --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi

npx --no-install tsc -p tsconfig.json --incremental --tsBuildInfoFile dist/.tsbuildinfo >&2
