#!/usr/bin/env node
'use strict';
/*
 * `npm run screenshots`: runs the browser tests (test/browser, Chromium needed) with
 * SCREENSHOTS_DIR=docs/screenshots, the only run that rewrites the documentation's screenshots;
 * `npm test` writes them to a temporary folder so that the work tree stays clean.
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const run = spawnSync(process.execPath, [require.resolve('jest/bin/jest'), '--runInBand', 'test/browser/'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SCREENSHOTS_DIR: path.join(root, 'docs', 'screenshots') },
});
process.exit(run.status ?? 1);
