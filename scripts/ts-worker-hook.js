'use strict';
/*
 * Lets a worker thread started from TypeScript sources (a jest run: the workers of `audit verify`,
 * libs/audit/src/export-verify-threads.ts) require .ts files: jest's transform does not reach
 * worker threads, so this hook compiles them with swc as scripts/build.js does (tsconfig paths
 * rewritten). Built code (dist/) never loads it.
 */
const path = require('node:path');
const { addHook } = require('pirates');
const swc = require('@swc/core');

const root = path.resolve(__dirname, '..');
const tsconfig = require(path.join(root, 'tsconfig.json'));

addHook(
  (code, filename) =>
    swc.transformSync(code, {
      swcrc: false,
      filename,
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
        baseUrl: root,
        paths: tsconfig.compilerOptions.paths,
        keepClassNames: true,
      },
      module: { type: 'commonjs' },
    }).code,
  { exts: ['.ts'] },
);
