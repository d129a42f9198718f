/**
 * `npm run bench:registry`: the RNPP-only full path before and after the source registry, in the
 * same run (bench/before-after.ts). "Before" is BENCH_BASELINE (default af00a20, the last main
 * before the registry landed in d55623c). Results: stdout and bench/results/registry.json.
 */
import { runBeforeAfter } from './before-after';

runBeforeAfter({ name: 'registry', baseline: 'af00a20', what: 'the registry', target: 0.95 });
