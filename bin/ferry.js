#!/usr/bin/env node
'use strict';
const path = require('node:path');
const fs = require('node:fs');

const entry = path.join(__dirname, '..', 'out', 'main', 'cli.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('ferry: not built yet. Run "npm run build" in ' + path.resolve(__dirname, '..') + ' first.\n');
  process.exit(2);
}
require(entry)
  .main(process.argv)
  .then((code) => process.exit(code));
