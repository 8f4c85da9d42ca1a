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
require('./node-warnings');
require(entry);
