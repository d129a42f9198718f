/**
 * The verifier's whole suite (export-verifier.spec.ts, unchanged) again, with every NDJSON file
 * verified in two worker threads and cut into 1,500-byte ranges (a few lines each): the reports,
 * messages and line numbers must be those of the walk on one thread.
 */
import type * as Verifier from './export-verifier';

jest.mock('./export-verifier', () => {
  const actual = jest.requireActual<typeof Verifier>('./export-verifier');
  return {
    ...actual,
    verifyExport: (o: Verifier.VerifyExportOptions) =>
      actual.verifyExport({ threads: 2, parallelFromBytes: 0, rangeBytes: 1500, ...o }),
  };
});

// two worker threads compile the verifier's TypeScript at start (scripts/ts-worker-hook.js) and the
// longest test cuts 4,000 lines into ~1,000 ranges: seconds on a loaded machine, not a hang
jest.setTimeout(30_000);

// eslint-disable-next-line @typescript-eslint/no-require-imports -- after the mock, on purpose
require('./export-verifier.spec');
