'use strict';
/*
 * The swc options that compile the broker's TypeScript outside jest: one list for scripts/build.js
 * (dist/) and scripts/ts-worker-hook.js (worker threads under jest). Decorator metadata on, for
 * Nest; tsconfig paths rewritten to relative requires.
 */
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
let paths;

/** Options for swc's transform of `filename`; `extra` adds top-level options (source maps). */
function swcOptions(filename, extra = {}) {
  // read once per process, at the first file (a build is one process)
  paths ??= JSON.parse(fs.readFileSync(path.join(root, 'tsconfig.json'), 'utf8')).compilerOptions.paths;
  return {
    swcrc: false,
    filename,
    ...extra,
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      baseUrl: root,
      paths,
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  };
}

module.exports = { swcOptions };
