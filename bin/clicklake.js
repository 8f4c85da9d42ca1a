#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript compiled to dist/ by `npm run build`.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'workers', 'cli.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('clicklake: not built yet; run `npm install && npm run build` in ' + path.join(__dirname, '..') + '\n');
  process.exit(1);
}
// The AWS SDK warns on every start that releases after January 2027 will need Node 22; the machine
// runs Node 20 and the pinned SDK works on it, so that one warning is dropped and all others kept.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0] && rest[0].type;
  if (type === 'NodeVersionSupportWarning') return;
  return emitWarning.call(process, warning, ...rest);
};
require(entry);
