/**
 * Preloaded (`node -r dist/bench/profile-threads.js`) into each process that `npm run bench:profile`
 * profiles. It tells the benchmark which of the process's threads are libuv's thread pool (where
 * WebCrypto signature checks, among others, run: off the main thread, so outside the CPU profile's
 * samples), so that their CPU time can be reported on its own line. Node 20 gives its threads no
 * names; libuv creates all the pool's threads at once, on the first piece of work queued to it.
 * So: the threads before, one tiny piece of pool work (a random fill), the threads after; the new
 * ones are the pool. Written as JSON to BENCH_THREADS_FILE. It does nothing else.
 */
import { randomFill } from 'node:crypto';
import { readdirSync, writeFileSync } from 'node:fs';

const file = process.env.BENCH_THREADS_FILE;
if (file) {
  const tids = (): number[] => readdirSync(`/proc/${process.pid}/task`).map(Number);
  const before = new Set(tids());
  // queued to the pool: libuv starts all UV_THREADPOOL_SIZE threads before this call returns
  randomFill(Buffer.alloc(1), () => undefined);
  const pool = tids().filter((t) => !before.has(t));
  writeFileSync(file, JSON.stringify({ pid: process.pid, pool }));
}
