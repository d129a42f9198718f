/**
 * `npm run bench:batch`: items per second of a 10,000-item batch job (submitPersonBatch → COMPLETED)
 * with one and with two worker processes, against the simulator at zero added latency, beside the
 * synchronous path's throughput (person queries, 16 connections) measured in the same run, on the
 * same gateway, simulator and databases. Each configuration runs BENCH_ROUNDS times (default 2),
 * alternately; medians are reported. Needs Redis at REDIS_URL (default 127.0.0.1:6379).
 * Results: stdout (markdown for docs/benchmarks.md) and bench/results/batch.json.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import autocannon from 'autocannon';
import { request } from 'undici';
import { createTestDatabase, makeTrustFixture, GRANTED_PURPOSE } from '@broker/testing';
import {
  batchBrokerEnv,
  cpuSeconds,
  listPersons,
  machine,
  median,
  memberHeaders,
  memberOneAssertion,
  memberOneConsent,
  saveResult,
  start,
  waitFor,
} from './support';

const ITEMS = Number(process.env.BENCH_BATCH_ITEMS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const CONNECTIONS = 16;
const RNPP_PORT = '4311';
const GW_PORT = '4312';
const GQL = `http://127.0.0.1:${GW_PORT}/graphql`;

async function gql(token: string, query: string, variables: object): Promise<Record<string, unknown>> {
  const res = await request(GQL, {
    method: 'POST',
    headers: memberHeaders(token),
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.body.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors).slice(0, 300)}`);
  return body.data ?? {};
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'broker-bench-batch-'));
  const trust = await makeTrustFixture(dir);
  const db = await createTestDatabase('broker_bench_batch');
  const env = batchBrokerEnv({
    dir,
    trustFile: trust.file,
    databaseUrl: db.url,
    rnppPort: RNPP_PORT,
    gatewayPort: GW_PORT,
  });
  const children: ChildProcess[] = [];
  const workers: ChildProcess[] = [];
  try {
    children.push(start('apps/rnpp-simulator/src/main.js', { RNPP_PORT }));
    await waitFor(`http://127.0.0.1:${RNPP_PORT}/health`);
    const gateway = start('apps/gateway/src/main.js', env);
    children.push(gateway);
    await waitFor(`http://127.0.0.1:${GW_PORT}/health/ready`);
    const persons = await listPersons(RNPP_PORT, ITEMS);
    const member = () => memberOneAssertion(trust);
    const consentFor = (m: string) => memberOneConsent(trust, m, ['name', 'birth', 'address']);
    const requests = await Promise.all(
      Array.from({ length: ITEMS }, async (_, i) => {
        const m = persons[i % persons.length];
        return { matricule: m, consentToken: await consentFor(m) };
      }),
    );

    // the synchronous path, same gateway and simulator
    const subject = persons.find((m) => m) as string;
    const syncBody = JSON.stringify({
      query:
        'query Q($m: ID!) { person(matricule: $m) { surname givenNames birthDate address { street locality } } }',
      variables: { m: subject },
    });
    const syncHeaders = memberHeaders(await member(), await consentFor(subject));
    const probe = await request(GQL, { method: 'POST', headers: syncHeaders, body: syncBody });
    const probeText = await probe.body.text();
    if (!probeText.includes('"surname"')) throw new Error(`sync probe failed: ${probeText.slice(0, 200)}`);
    const syncRuns: number[] = [];
    const runs: Record<
      1 | 2,
      {
        itemsPerS: number;
        submitMs: number;
        succeeded: number;
        workerCpuMsPerItem: number;
        gatewayCpuMsPerItem: number;
      }[]
    > = {
      1: [],
      2: [],
    };

    for (let round = 0; round < ROUNDS; round++) {
      const s = await autocannon({
        url: GQL,
        method: 'POST',
        headers: syncHeaders,
        body: syncBody,
        connections: CONNECTIONS,
        duration: DURATION_S,
      });
      syncRuns.push(s.requests.average);
      for (const n of [1, 2] as const) {
        for (let w = 0; w < n; w++) workers.push(start('apps/worker/src/main.js', env));
        await new Promise((r) => setTimeout(r, 1500)); // workers connect
        // CPU of the workers and the gateway over the job (docs/deployment.md sizes workers from it)
        const workersCpu = () => workers.reduce((a, w) => a + cpuSeconds(w.pid!), 0);
        const cpu0 = { workers: workersCpu(), gateway: cpuSeconds(gateway.pid!) };
        const t0 = performance.now();
        const sub = (await gql(
          await member(),
          'mutation S($input: PersonBatchInput!) { submitPersonBatch(input: $input) { id total } }',
          { input: { purpose: GRANTED_PURPOSE, items: ['name', 'birth', 'address'], requests } },
        )) as { submitPersonBatch: { id: string } };
        const submitMs = performance.now() - t0;
        const id = sub.submitPersonBatch.id;
        let job: { state: string; succeeded: number; refused: number; failed: number } | undefined;
        for (;;) {
          const d = (await gql(
            await member(),
            'query J($id: ID!) { batchJob(id: $id) { state succeeded refused failed } }',
            {
              id,
            },
          )) as { batchJob: typeof job };
          job = d.batchJob;
          if (job && (job.state === 'COMPLETED' || job.state === 'FAILED')) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        const seconds = (performance.now() - t0) / 1000;
        runs[n].push({
          itemsPerS: ITEMS / seconds,
          submitMs,
          succeeded: job.succeeded,
          workerCpuMsPerItem: ((workersCpu() - cpu0.workers) * 1000) / ITEMS,
          gatewayCpuMsPerItem: ((cpuSeconds(gateway.pid!) - cpu0.gateway) * 1000) / ITEMS,
        });
        process.stderr.write(
          `round ${round + 1}/${ROUNDS}: sync ${syncRuns[round].toFixed(0)} req/s; ${n} worker(s): ${ITEMS} items in ${seconds.toFixed(1)} s = ${(ITEMS / seconds).toFixed(0)} items/s (submit ${submitMs.toFixed(0)} ms, ${job.succeeded} released, ${job.refused} refused, ${job.failed} failed)\n`,
        );
        await Promise.all(
          workers.splice(0).map((w) => new Promise((r) => (w.once('exit', r), w.kill('SIGTERM')))),
        );
      }
    }
    const result = {
      date: new Date().toISOString(),
      machine: machine(),
      settings: { items: ITEMS, rounds: ROUNDS, syncConnections: CONNECTIONS, syncDurationS: DURATION_S },
      syncRequestsPerS: median(syncRuns),
      oneWorker: {
        itemsPerS: median(runs[1].map((r) => r.itemsPerS)),
        submitMs: median(runs[1].map((r) => r.submitMs)),
        workerCpuMsPerItem: median(runs[1].map((r) => r.workerCpuMsPerItem)),
        gatewayCpuMsPerItem: median(runs[1].map((r) => r.gatewayCpuMsPerItem)),
      },
      twoWorkers: {
        itemsPerS: median(runs[2].map((r) => r.itemsPerS)),
        submitMs: median(runs[2].map((r) => r.submitMs)),
        workerCpuMsPerItem: median(runs[2].map((r) => r.workerCpuMsPerItem)),
        gatewayCpuMsPerItem: median(runs[2].map((r) => r.gatewayCpuMsPerItem)),
      },
      raw: { syncRuns, runs },
    };
    saveResult('batch', result);
    const f = (n: number) => n.toFixed(0);
    process.stdout.write(
      [
        `| ${ITEMS}-item job, ${ROUNDS} rounds, medians | items/s | submit (ms) | vs synchronous path |`,
        '|---|---|---|---|',
        `| synchronous path (${CONNECTIONS} connections, person query) | ${f(result.syncRequestsPerS)} req/s | | 1.00 |`,
        `| batch, 1 worker | ${f(result.oneWorker.itemsPerS)} | ${f(result.oneWorker.submitMs)} | ${(result.oneWorker.itemsPerS / result.syncRequestsPerS).toFixed(2)} |`,
        `| batch, 2 workers | ${f(result.twoWorkers.itemsPerS)} | ${f(result.twoWorkers.submitMs)} | ${(result.twoWorkers.itemsPerS / result.syncRequestsPerS).toFixed(2)} |`,
        `| 2 workers / 1 worker | ${(result.twoWorkers.itemsPerS / result.oneWorker.itemsPerS).toFixed(2)} | | |`,
        '',
        `CPU ms per item, workers / gateway (submission, consents): 1 worker ${result.oneWorker.workerCpuMsPerItem.toFixed(3)} / ${result.oneWorker.gatewayCpuMsPerItem.toFixed(3)}; 2 workers ${result.twoWorkers.workerCpuMsPerItem.toFixed(3)} / ${result.twoWorkers.gatewayCpuMsPerItem.toFixed(3)}.`,
        '',
      ].join('\n'),
    );
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    for (const c of children) c.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    await db.drop().catch(() => undefined);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
