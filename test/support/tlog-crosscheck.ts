/**
 * Runs checks through the acceptance tests' independent Python tlog library (RFC 9162 proofs,
 * signed notes, cosignatures, tlog-proofs) via test/support/tlog-crosscheck.py, so that what this
 * project produces is verified by code that was not written from it. Where the library or Python
 * with `cryptography` is missing (a fresh clone elsewhere), `crosscheckUnavailable` says why and
 * the callers skip.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The folder holding tlog.py (TLOG_PY_DIR overrides the machine's acceptance checkout). */
export const TLOG_PY_DIR = process.env.TLOG_PY_DIR ?? '/work/shared/acceptance/lib';
const DRIVER = join(__dirname, 'tlog-crosscheck.py');

/** One answer of the Python side: a value, or the exception it raised. */
export type CrosscheckAnswer = { ok: true; value: unknown } | { ok: false; error: string };

/** Why the Python cross-check cannot run here, or undefined when it can. */
export function crosscheckUnavailable(): string | undefined {
  if (!existsSync(join(TLOG_PY_DIR, 'tlog.py'))) return `no tlog.py in ${TLOG_PY_DIR}`;
  const probe = spawnSync('python3', ['-c', 'import cryptography'], { encoding: 'utf8' });
  if (probe.status !== 0) return 'python3 with the cryptography package is not available';
  return undefined;
}

/** Sends checks (objects with a `kind`, see the driver) and returns one answer per check. */
export function crosscheck(checks: readonly object[]): CrosscheckAnswer[] {
  const run = spawnSync('python3', [DRIVER, TLOG_PY_DIR], {
    input: JSON.stringify(checks),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`tlog-crosscheck.py failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as CrosscheckAnswer[];
}

/** The answers' values; throws with the Python error when any check raised. */
export function crosscheckValues(checks: readonly object[]): unknown[] {
  return crosscheck(checks).map((answer, i) => {
    if (!answer.ok)
      throw new Error(`check ${i} (${JSON.stringify(checks[i]).slice(0, 80)}): ${answer.error}`);
    return answer.value;
  });
}
