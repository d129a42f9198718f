import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { RangeParams, RangeResult } from './export-range-walk';
import type { RangeReply, RangeTask } from './export-verify.worker';

/**
 * Worker threads for `audit verify` of a large NDJSON export: the file is cut into byte ranges,
 * each verified by a worker (export-verify.worker.ts) as far as it can be alone, and the results
 * are handed to `onRange` in file order, as they come, to be linked on the main thread
 * (ChainCheck.pushRange). The workers read the file themselves: only compact results cross.
 */

/** How many threads and how large a range. */
export interface ThreadPlan {
  threads: number;
  rangeBytes: number;
}

/**
 * Verifies the ranges of `file` in `plan.threads` workers; `onRange` takes each result in file
 * order and returns false when it cannot use it. False when a range or `onRange` gave up (a line
 * over the limit, an unreadable file, a failed thread, a result that only a walk line by line
 * reports exactly):
 * the caller then verifies the file on one thread.
 */
export async function walkRangesInThreads(
  file: string,
  size: number,
  params: RangeParams,
  plan: ThreadPlan,
  onRange: (r: RangeResult) => boolean,
): Promise<boolean> {
  const count = Math.max(1, Math.ceil(size / plan.rangeBytes));
  const workers = Array.from({ length: Math.min(plan.threads, count) }, startWorker);
  const done = new Map<number, RangeResult>();
  let nextTask = 0;
  let nextMerge = 0;
  try {
    return await new Promise<boolean>((settle) => {
      let settled = false;
      const resolve = (ok: boolean): void => {
        settled = true;
        settle(ok);
      };
      const give = (w: Worker): void => {
        if (nextTask >= count) return;
        const start = nextTask * plan.rangeBytes;
        const task: RangeTask = {
          id: nextTask++,
          file,
          start,
          end: Math.min(size, start + plan.rangeBytes),
          size,
          params,
        };
        w.postMessage(task);
      };
      for (const w of workers) {
        // a thread that fails (cannot start, runs out of memory) costs time, not the report
        w.on('error', () => resolve(false));
        w.on('message', (reply: RangeReply) => {
          // replies still in flight once the walk is settled are dropped
          if (settled) return;
          if ('fallback' in reply) return resolve(false);
          done.set(reply.id, reply.result);
          give(w);
          // merged in file order: a range waits here for the ones before it
          for (let r = done.get(nextMerge); r !== undefined; r = done.get(nextMerge)) {
            done.delete(nextMerge++);
            if (!onRange(r)) return resolve(false);
          }
          if (nextMerge === count) resolve(true);
        });
        give(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/** The worker's compiled file; from TypeScript sources (jest), the same file through swc's require hook. */
function startWorker(): Worker {
  const js = path.join(__dirname, 'export-verify.worker.js');
  if (existsSync(js)) return new Worker(js);
  const ts = path.join(__dirname, 'export-verify.worker.ts');
  const hook = path.resolve(__dirname, '../../../scripts/ts-worker-hook.js');
  return new Worker(`require(${JSON.stringify(hook)}); require(${JSON.stringify(ts)});`, { eval: true });
}
