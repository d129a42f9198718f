#!/usr/bin/env node
'use strict';
/*
 * Transpiles apps/, libs/ and bench/ to dist/ with swc (decorator metadata on, tsconfig paths
 * rewritten to relative requires). Type checking is `npm run typecheck` (tsc --noEmit): swc
 * does not type-check. With --if-stale it does nothing when dist/ is newer than every source,
 * so `npm run cli` stays fast when called many times in a row.
 */
const fs = require('node:fs');
const path = require('node:path');
const swc = require('@swc/core');
const { swcOptions } = require('./swc-options');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'dist');
const stamp = path.join(out, '.build-stamp');
const dirs = ['apps', 'libs', 'bench'];

function walk(dir, acc) {
  if (!fs.existsSync(dir)) return acc;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'web') walk(p, acc);
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !e.name.endsWith('.spec.ts')) {
      acc.push(p);
    }
  }
  return acc;
}

function main() {
  const ifStale = process.argv.includes('--if-stale');
  const files = dirs.flatMap((d) => walk(path.join(root, d), []));
  const contracts = fs.readdirSync(path.join(root, 'contracts')).filter((n) => n.endsWith('.json'));
  const watched = [
    ...files,
    ...contracts.map((n) => path.join(root, 'contracts', n)),
    path.join(root, 'tsconfig.json'),
    __filename,
  ];
  if (ifStale && fs.existsSync(stamp)) {
    const built = fs.statSync(stamp).mtimeMs;
    if (watched.every((f) => fs.statSync(f).mtimeMs <= built)) return;
  }
  const started = Date.now();
  for (const file of files) {
    const rel = path.relative(root, file);
    const target = path.join(out, rel.replace(/\.ts$/, '.js'));
    const result = swc.transformFileSync(file, swcOptions(file, { sourceMaps: true }));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    // write-then-rename so that a concurrent reader never sees half a file
    const tmp = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${result.code}\n//# sourceMappingURL=${path.basename(target)}.map\n`);
    fs.renameSync(tmp, target);
    fs.writeFileSync(`${target}.map`, result.map ?? '');
  }
  // JSON contracts are required at run time (schemas validated against): ship them beside the code
  fs.mkdirSync(path.join(out, 'contracts'), { recursive: true });
  for (const f of fs.readdirSync(path.join(root, 'contracts')).filter((n) => n.endsWith('.json'))) {
    fs.copyFileSync(path.join(root, 'contracts', f), path.join(out, 'contracts', f));
  }
  fs.writeFileSync(stamp, new Date().toISOString());
  if (!ifStale || process.env.BUILD_VERBOSE) {
    process.stderr.write(`built ${files.length} files in ${Date.now() - started} ms\n`);
  }
}

main();
