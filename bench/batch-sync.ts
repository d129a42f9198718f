/**
 * `npm run bench:batch-sync`: does a large batch stall the synchronous path? Starts the simulator,
 * the gateway and one worker as separate processes (as `npm start` does), over a fresh database,
 * with BullMQ on the local Redis. Each round, BENCH_CLIENTS clients (4) send `person` queries one
 * after the other, each for another citizen with its own consent (after a 3 s warm-up):
 *   1. idle, for BENCH_IDLE_S (8 s);
 *   2. while a BENCH_BATCH_ITEMS-item batch (10,000, one consent per item, one in a thousand
 *      expired so refused at submission) is submitted and then processed, until the job is
 *      COMPLETED (at least BENCH_BUSY_S, 12 s).
 * The synchronous p50/p99 of both phases come from the same run, on the same processes; busy
 * answers are also split by phase (while the submission is in flight, after it). BENCH_ROUNDS
 * rounds (2). `BENCH_CPU_PROF=dir` starts the gateway and the worker with --cpu-prof into dir.
 * Results: stdout (markdown for docs/benchmarks.md) and bench/results/batch-sync.json.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { request } from 'undici';
import { createTestDatabase, makeTrustFixture, GRANTED_PURPOSE } from '@broker/testing';
import {
  askPerson,
  batchBrokerEnv,
  freePort,
  listPersons,
  machine,
  median,
  memberHeaders,
  memberOneAssertion,
  memberOneConsent,
  percentile,
  saveResult,
  start,
  stop,
  waitFor,
} from './support';

const ITEMS = Number(process.env.BENCH_BATCH_ITEMS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 8);
const BUSY_S = Number(process.env.BENCH_BUSY_S ?? 12);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 4);
const CPU_PROF = process.env.BENCH_CPU_PROF;
const PERSON_QUERY = 'query Q($m: ID!) { person(matricule: $m) { surname givenNames } }';

/** One synchronous answer: when it started and how long it took (ms). */
interface Sample {
  at: number;
  ms: number;
}

async function main(): Promise<void> {
  const RNPP_PORT = await freePort();
  const GW_PORT = await freePort();
  const GQL = `http://127.0.0.1:${GW_PORT}/graphql`;
  const dir = mkdtempSync(path.join(tmpdir(), 'broker-bench-batch-sync-'));
  const trust = await makeTrustFixture(dir);
  const db = await createTestDatabase('broker_bench_batch_sync');
  const env = batchBrokerEnv({
    dir,
    trustFile: trust.file,
    databaseUrl: db.url,
    rnppPort: RNPP_PORT,
    gatewayPort: GW_PORT,
  });
  const prof = (name: string) => (CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF}/${name}`] : []);
  const children: ChildProcess[] = [];
  try {
    children.push(start('apps/rnpp-simulator/src/main.js', { RNPP_PORT }));
    await waitFor(`http://127.0.0.1:${RNPP_PORT}/health`);
    children.push(start('apps/gateway/src/main.js', env, prof('gateway')));
    await waitFor(`http://127.0.0.1:${GW_PORT}/health/ready`);
    children.push(start('apps/worker/src/main.js', env, prof('worker')));

    const persons = await listPersons(RNPP_PORT, ITEMS);
    const member = () => memberOneAssertion(trust);
    const consentFor = (m: string, over: { iat?: number; lifetimeS?: number } = {}) =>
      memberOneConsent(trust, m, ['name'], over);
    const now = Math.floor(Date.now() / 1000);
    // the synchronous clients ask for other citizens than the batch's first ones, as the acceptance check does
    const syncSubjects = persons.slice(-200);
    const syncConsents = await Promise.all(syncSubjects.map((m) => consentFor(m, { lifetimeS: 3600 })));

    /** Runs the clients until `until()` says stop; returns every answer's start and duration. */
    async function load(until: () => boolean): Promise<{ samples: Sample[]; errors: number }> {
      const samples: Sample[] = [];
      let errors = 0;
      const token = await member();
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, k) => {
          for (let i = 0; !until(); i++) {
            const j = (k * 37 + i) % syncSubjects.length;
            const t0 = performance.now();
            const { statusCode, text } = await askPerson(GQL, {
              assertion: token,
              consent: syncConsents[j],
              query: PERSON_QUERY,
              matricule: syncSubjects[j],
            });
            if (statusCode === 200 && text.includes('"surname"'))
              samples.push({ at: t0, ms: performance.now() - t0 });
            else errors++;
          }
        }),
      );
      return { samples, errors };
    }

    type Round = {
      idle: { p50: number; p99: number; n: number };
      busy: { p50: number; p99: number; n: number; errors: number };
      duringSubmit: { p50: number; p99: number; n: number };
      afterSubmit: { p50: number; p99: number; n: number };
      submitMs: number;
      jobMs: number;
      refused: number;
      succeeded: number;
    };
    const rounds: Round[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const requests = await Promise.all(
        Array.from({ length: ITEMS }, async (_, i) => {
          const m = persons[i % persons.length];
          // one consent in a thousand expired: refused (and logged) at submission
          const c = i % 1000 ? consentFor(m) : consentFor(m, { iat: now - 7200, lifetimeS: 3600 });
          return { matricule: m, consentToken: await c };
        }),
      );
      const body = JSON.stringify({
        query: 'mutation S($input: PersonBatchInput!) { submitPersonBatch(input: $input) { id refused } }',
        variables: { input: { purpose: GRANTED_PURPOSE, items: ['name'], requests } },
      });
      // warm-up (not counted): JIT, connection pools, the simulator's caches
      const warmEnd = performance.now() + 3000;
      await load(() => performance.now() > warmEnd);
      const idleEnd = performance.now() + IDLE_S * 1000;
      const idle = await load(() => performance.now() > idleEnd);

      const t0 = performance.now();
      let submitEnd = Infinity;
      let finished = false;
      const job = (async () => {
        const res = await request(GQL, {
          method: 'POST',
          headers: memberHeaders(await member()),
          body,
        });
        const answer = (await res.body.json()) as {
          data?: { submitPersonBatch: { id: string; refused: number } };
          errors?: unknown[];
        };
        submitEnd = performance.now();
        if (!answer.data)
          throw new Error(`submission failed: ${JSON.stringify(answer.errors).slice(0, 300)}`);
        const id = answer.data.submitPersonBatch.id;
        for (;;) {
          const r = await request(GQL, {
            method: 'POST',
            headers: memberHeaders(await member()),
            body: JSON.stringify({
              query: 'query J($id: ID!) { batchJob(id: $id) { state succeeded refused } }',
              variables: { id },
            }),
          });
          const j = (
            (await r.body.json()) as {
              data: { batchJob: { state: string; succeeded: number; refused: number } };
            }
          ).data.batchJob;
          if (j.state === 'COMPLETED' || j.state === 'FAILED') {
            finished = true;
            return { jobMs: performance.now() - t0, succeeded: j.succeeded, refused: j.refused };
          }
          await new Promise((r) => setTimeout(r, 250));
        }
      })();
      job.catch(() => (finished = true));
      const busyMin = t0 + BUSY_S * 1000;
      const busy = await load(() => finished && performance.now() > busyMin);
      const settled = await job;
      const ms = (xs: Sample[]) => xs.map((s) => s.ms);
      const stats = (xs: Sample[]) => ({
        p50: percentile(ms(xs), 50),
        p99: percentile(ms(xs), 99),
        n: xs.length,
      });
      const r: Round = {
        idle: stats(idle.samples),
        busy: { ...stats(busy.samples), errors: busy.errors + idle.errors },
        duringSubmit: stats(busy.samples.filter((s) => s.at < submitEnd)),
        afterSubmit: stats(busy.samples.filter((s) => s.at >= submitEnd)),
        submitMs: submitEnd - t0,
        ...settled,
      };
      rounds.push(r);
      process.stderr.write(
        `round ${round + 1}/${ROUNDS}: sync p50/p99 idle ${r.idle.p50.toFixed(1)}/${r.idle.p99.toFixed(1)} ms (${r.idle.n}), ` +
          `busy ${r.busy.p50.toFixed(1)}/${r.busy.p99.toFixed(1)} ms (${r.busy.n}; during submit ${r.duringSubmit.p99.toFixed(1)}, after ${r.afterSubmit.p99.toFixed(1)}); ` +
          `submit ${r.submitMs.toFixed(0)} ms, job ${(r.jobMs / 1000).toFixed(1)} s, ${r.succeeded} released, ${r.refused} refused\n`,
      );
    }
    const med = (f: (r: Round) => number) => median(rounds.map(f));
    const result = {
      date: new Date().toISOString(),
      machine: machine(),
      settings: { items: ITEMS, rounds: ROUNDS, clients: CLIENTS, idleS: IDLE_S, busyMinS: BUSY_S },
      rounds,
    };
    saveResult('batch-sync', result);
    const f = (n: number) => n.toFixed(1);
    process.stdout.write(
      [
        `| synchronous \`person\`, ${CLIENTS} clients, ${ROUNDS} rounds, medians | p50 ms | p99 ms | answers |`,
        '|---|---|---|---|',
        `| idle (${IDLE_S} s) | ${f(med((r) => r.idle.p50))} | ${f(med((r) => r.idle.p99))} | ${med((r) => r.idle.n)} |`,
        `| while a ${ITEMS}-item batch is submitted and processed | ${f(med((r) => r.busy.p50))} | ${f(med((r) => r.busy.p99))} | ${med((r) => r.busy.n)} |`,
        `| … while the submission is in flight | ${f(med((r) => r.duringSubmit.p50))} | ${f(med((r) => r.duringSubmit.p99))} | ${med((r) => r.duringSubmit.n)} |`,
        `| … after it, while the worker processes | ${f(med((r) => r.afterSubmit.p50))} | ${f(med((r) => r.afterSubmit.p99))} | ${med((r) => r.afterSubmit.n)} |`,
        `| busy p99 / idle p99 | | ${(med((r) => r.busy.p99) / med((r) => r.idle.p99)).toFixed(2)} | |`,
        '',
        `Submission ${med((r) => r.submitMs).toFixed(0)} ms, job ${(med((r) => r.jobMs) / 1000).toFixed(1)} s (medians).`,
        '',
      ].join('\n'),
    );
    for (const c of children.splice(0).reverse()) await stop(c);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    await db.drop().catch(() => undefined);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
