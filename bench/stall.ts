/**
 * `npm run bench:stall`: the gateway (its own process) reaches PostgreSQL through a TCP proxy this
 * script controls. Under load (BENCH_STALL_CLIENTS sequential clients, default 8), 5 s idle, then
 * the proxy stops forwarding for BENCH_STALL_S (default 30 s), then resumes for 10 s. Reported:
 * answer times and codes per phase, the gateway's RSS (VmRSS of its process), readiness during
 * the stall, the time from resume to the first answer with data and to ready again, and the
 * checks (no data during the stall, one entry per answer with data, the chain verifies).
 * Results: stdout (markdown for docs/benchmarks.md) and bench/results/stall.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DataSource } from 'typeorm';
import { request } from 'undici';
import { AccessLogRepository, verifyAccessLog } from '@broker/access-log';
import { dataSourceOptions } from '@broker/database';
import { TcpProxy, createTestDatabase, makeTrustFixture, sql } from '@broker/testing';
import {
  askPerson,
  listPersons,
  median,
  memberOneAssertion,
  memberOneConsent,
  percentile,
  saveResult,
  start,
  waitFor,
} from './support';

const STALL_S = Number(process.env.BENCH_STALL_S ?? 30);
const CLIENTS = Number(process.env.BENCH_STALL_CLIENTS ?? 8);
const IDLE_S = 5;
const AFTER_S = 10;
const RNPP_PORT = '4321';
const GW_PORT = '4322';
const BASE = `http://127.0.0.1:${GW_PORT}`;
const QUERY = 'query Q($m: ID!) { person(matricule: $m) { surname } }';

interface Answer {
  /** The phase when the answer arrived. */
  phase: 'idle' | 'stall' | 'after';
  correlationId: string;
  startedAt: number;
  ms: number;
  code: string | null;
  data: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'broker-bench-stall-'));
  const trust = await makeTrustFixture(dir);
  const db = await createTestDatabase('broker_bench_stall');
  const target = new URL(db.url);
  const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
  const env = {
    RNPP_URL: `http://127.0.0.1:${RNPP_PORT}`,
    DATABASE_URL: proxy.via(db.url),
    BROKER_TRUST_FILE: trust.file,
    BROKER_SIGNING_KEY_FILE: path.join(dir, 'signing-key.json'),
    BATCH_RESULTS_KEY_FILE: path.join(dir, 'results.key'),
    BROKER_MODE: 'development',
    GATEWAY_PORT: GW_PORT,
    LOG_LEVEL: 'error',
  };
  writeFileSync(env.BATCH_RESULTS_KEY_FILE, Buffer.alloc(32, 7).toString('base64'));
  const sim = start('apps/rnpp-simulator/src/main.js', { RNPP_PORT });
  const gateway = start('apps/gateway/src/main.js', env);
  try {
    await waitFor(`http://127.0.0.1:${RNPP_PORT}/health`);
    await waitFor(`${BASE}/health/ready`);
    const subjects = await listPersons(RNPP_PORT, CLIENTS);
    const consents = await Promise.all(subjects.map((m) => memberOneConsent(trust, m, ['name'])));
    const member = await memberOneAssertion(trust);

    let phase: Answer['phase'] = 'idle';
    let stop = false;
    const answers: Answer[] = [];
    const ask = async (i: number): Promise<void> => {
      const correlationId = `bench-stall-${randomUUID()}`;
      const startedAt = Date.now();
      const { text } = await askPerson(`${BASE}/graphql`, {
        assertion: member,
        consent: consents[i],
        query: QUERY,
        matricule: subjects[i],
        headers: { 'x-correlation-id': correlationId },
      });
      const body = JSON.parse(text) as {
        data?: { person?: unknown };
        errors?: { extensions?: { code?: string } }[];
      };
      // by when it was answered: an answer that arrives after the resume is not a stall answer
      answers.push({
        phase,
        correlationId,
        startedAt,
        ms: Date.now() - startedAt,
        code: body.errors?.[0]?.extensions?.code ?? null,
        data: body.data?.person != null,
      });
    };
    const clients = Promise.all(
      subjects.map(async (_, i) => {
        while (!stop) await ask(i);
      }),
    );
    const rss: { phase: Answer['phase']; mib: number }[] = [];
    const ready: { phase: Answer['phase']; at: number; status: number }[] = [];
    const sampler = setInterval(() => {
      rss.push({ phase, mib: rssMiB(gateway.pid!) });
      void request(`${BASE}/health/ready`)
        .then(async (r) => {
          await r.body.dump();
          ready.push({ phase, at: Date.now(), status: r.statusCode });
        })
        .catch(() => undefined);
    }, 500);

    await sleep(IDLE_S * 1000);
    phase = 'stall';
    proxy.stall();
    await sleep(STALL_S * 1000);
    proxy.resume();
    const resumedAt = Date.now();
    phase = 'after';
    await sleep(AFTER_S * 1000);
    stop = true;
    await clients;
    clearInterval(sampler);

    const of = (p: Answer['phase']) => answers.filter((a) => a.phase === p);
    const firstData = of('after')
      .filter((a) => a.data)
      .map((a) => a.startedAt + a.ms)
      .sort((a, b) => a - b)[0];
    const firstReady = ready.filter((r) => r.phase === 'after' && r.status === 200).map((r) => r.at)[0];
    const disclosed = answers.filter((a) => a.data).map((a) => a.correlationId);
    const counts = await sql<{ n: string }>(
      db.url,
      'SELECT count(*) AS n FROM access_log WHERE correlation_id = ANY($1::text[]) GROUP BY correlation_id HAVING count(*) <> 1',
      [disclosed],
    );
    const logged = await sql<{ n: string }>(
      db.url,
      'SELECT count(DISTINCT correlation_id) AS n FROM access_log WHERE correlation_id = ANY($1::text[])',
      [disclosed],
    );
    const ds = await new DataSource(dataSourceOptions(db.url)).initialize();
    const report = await verifyAccessLog(ds, new AccessLogRepository(ds));
    await ds.destroy();

    const row = (p: Answer['phase']) => {
      const xs = of(p);
      const ms = xs.map((a) => a.ms);
      const byCode = new Map<string, number>();
      for (const a of xs) byCode.set(a.code ?? 'data', (byCode.get(a.code ?? 'data') ?? 0) + 1);
      const r = rss.filter((s) => s.phase === p).map((s) => s.mib);
      return {
        phase: p,
        answers: xs.length,
        codes: Object.fromEntries(byCode),
        p50: median(ms),
        p99: percentile(ms, 99),
        max: Math.max(...ms),
        rssMin: Math.min(...r),
        rssMax: Math.max(...r),
      };
    };
    const phases = (['idle', 'stall', 'after'] as const).map(row);
    const result = {
      stallS: STALL_S,
      clients: CLIENTS,
      phases,
      readyDuringStall: ready.filter((r) => r.phase === 'stall').map((r) => r.status),
      recoveryToFirstDataMs: firstData ? firstData - resumedAt : null,
      recoveryToReadyMs: firstReady ? firstReady - resumedAt : null,
      dataDuringStall: of('stall').filter((a) => a.data).length,
      disclosuresWithoutExactlyOneEntry: counts.length + (disclosed.length - Number(logged[0].n)),
      chainVerifies: report.ok,
      entries: report.entries,
    };
    saveResult('stall', result);
    const notReady = result.readyDuringStall.filter((s) => s !== 200).length;
    const lines = [
      `| phase (${CLIENTS} clients) | answers | codes | p50 ms | p99 ms | max ms | gateway RSS MiB (min-max) |`,
      '| --- | --- | --- | --- | --- | --- | --- |',
      ...phases.map(
        (p) =>
          `| ${p.phase === 'stall' ? `stall (${STALL_S} s)` : p.phase === 'idle' ? `before (${IDLE_S} s)` : `after (${AFTER_S} s)`} | ${p.answers} | ${Object.entries(
            p.codes,
          )
            .map(([c, n]) => `${c} ${n}`)
            .join(', ')} | ${p.p50} | ${p.p99} | ${p.max} | ${p.rssMin.toFixed(0)}-${p.rssMax.toFixed(0)} |`,
      ),
      '',
      `- readiness during the stall: ${notReady} of ${result.readyDuringStall.length} samples not ready`,
      `- recovery after resume: first answer with data after ${result.recoveryToFirstDataMs} ms, ready after ${result.recoveryToReadyMs} ms`,
      `- answers with data during the stall: ${result.dataDuringStall}; answers with data without exactly one entry: ${result.disclosuresWithoutExactlyOneEntry}; chain verifies: ${result.chainVerifies} (${result.entries} entries)`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    proxy.resume();
    gateway.kill('SIGTERM');
    sim.kill('SIGTERM');
    await sleep(1000);
    await proxy.close();
    await db.drop();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
