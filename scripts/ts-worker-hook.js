'use strict';
/*
 * Lets a worker thread started from TypeScript sources (a jest run: the workers of `audit verify`,
 * libs/audit/src/export-verify-threads.ts) require .ts files: jest's transform does not reach
 * worker threads, so this hook compiles them with swc as scripts/build.js does (tsconfig paths
 * rewritten). Built code (dist/) never loads it.
 */
const { addHook } = require('pirates');
const swc = require('@swc/core');
const { swcOptions } = require('./swc-options');

addHook((code, filename) => swc.transformSync(code, swcOptions(filename)).code, { exts: ['.ts'] });
