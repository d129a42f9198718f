/**
 * `npm run bench:tlog-sync`: the RNPP-only full path before and after the transparency log
 * (issue 12), in the same run (bench/before-after.ts). "Before" is BENCH_BASELINE (default
 * 1b201d3: the first parent of 7123d73, "Merge h-tstore", i.e. main before the transparency log's
 * store landed; it also predates the least-privilege database roles). "After" is this checkout: a
 * gateway that salts every entry, runs the log's integrator (every LOG_INTEGRATE_INTERVAL_MS, with
 * a note key made for the run, no witness) and connects as the runtime role.
 * Results: stdout and bench/results/tlog-sync.json.
 */
import * as path from 'node:path';
import { runBeforeAfter } from './before-after';

runBeforeAfter({
  name: 'tlog-sync',
  baseline: '1b201d3',
  what: 'the transparency log',
  afterEnv: (dir) => ({ BROKER_NOTE_KEY_FILE: path.join(dir, 'broker-note-key.pem') }),
});
