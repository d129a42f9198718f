/**
 * `npm run bench`: one run, on this machine, of
 *   1. a granted `person` query through the whole path (member auth, consent check, register call
 *      over HTTP, access-log append), gateway and simulator as separate processes;
 *   2. the same query against a bare Nest + Fastify + Apollo resolver returning the object from memory;
 *   3. the same bare resolver that also fetches the person from the RNPP simulator over HTTP
 *      keep-alive (undici, as the adapter, without its resilience wrappers): "bare + register";
 *   4. access-log appends on their own (group commit), with 1 and with 64 concurrent appenders.
 * Each HTTP scenario runs ROUNDS times alternately; the medians are reported, with each process's
 * CPU time per answered request (from /proc), and the ratios full ÷ bare and full ÷ bare + register.
 * Results: stdout (a markdown table for docs/benchmarks.md) and bench/results/latest.json.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { request } from 'undici';
import { AccessLogAppender, AccessLogRepository, type NewAccessEntry } from '@broker/access-log';
import { ConsentStore } from '@broker/consent';
import { openDatabase } from '@broker/database';
import { createTestDatabase, makeTrustFixture, GRANTED_PURPOSE } from '@broker/testing';
import {
  cpuSeconds,
  freePort,
  gatewayEnv,
  httpLoad,
  type HttpResult,
  listPersons,
  machine,
  median,
  memberHeaders,
  memberOneAssertion,
  memberOneConsent,
  saveResult,
  start,
  waitFor,
  waitForGraphql,
} from './support';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const APPEND_S = Number(process.env.BENCH_APPEND_S ?? 5);
const LOAD = { connections: CONNECTIONS, durationS: DURATION_S };
/** The register fields the gateway asks the RNPP for the items name, birth and address. */
const RNPP_FIELDS = 'surname,givenNames,birthDate,birthPlace,address';
const QUERY =
  'query Q($m: ID!) { person(matricule: $m) { matricule surname givenNames birthDate birthPlace { locality country } address { street houseNumber postalCode locality commune } } }';

async function appendRate(
  databaseUrl: string,
  concurrency: number,
): Promise<{ perSecond: number; p50: number; p99: number }> {
  const ds = await openDatabase(databaseUrl, { migrate: true, poolSize: 4 });
  // the gateway's appender reads withdrawals in each append: the bench pays that query too
  const appender = new AccessLogAppender(ds, new AccessLogRepository(ds), new ConsentStore(ds));
  const entry = (i: number): NewAccessEntry => ({
    occurredAt: new Date(),
    channel: 'sync',
    memberId: 'bench-member',
    purpose: GRANTED_PURPOSE,
    consentIssuer: 'bench-issuer',
    consentJti: `jti-${i}`,
    subject: '1893120105732',
    itemsRequested: ['name', 'birth', 'address'],
    itemsDisclosed: ['name', 'birth', 'address'],
    outcome: 'DISCLOSED',
    reasonCode: null,
    source: 'rnpp',
    correlationId: `bench-${i}`,
    jobId: null,
  });
  const deadline = Date.now() + APPEND_S * 1000;
  const latencies: number[] = [];
  let n = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < deadline) {
        const t0 = performance.now();
        await appender.append(entry(n++));
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  await ds.destroy();
  latencies.sort((a, b) => a - b);
  return {
    perSecond: latencies.length / seconds,
    p50: latencies[Math.floor(latencies.length * 0.5)],
    p99: latencies[Math.floor(latencies.length * 0.99)],
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'broker-bench-'));
  const trust = await makeTrustFixture(dir);
  const db = await createTestDatabase('broker_bench');
  const appendDb = await createTestDatabase('broker_bench_append');
  const children: ChildProcess[] = [];
  try {
    // free ports, not fixed ones: the machine is shared
    const rnppPort = await freePort();
    const gwPort = await freePort();
    const barePort = await freePort();
    const bareRegisterPort = await freePort();
    children.push(start('apps/rnpp-simulator/src/main.js', { RNPP_PORT: rnppPort }));
    await waitFor(`http://127.0.0.1:${rnppPort}/health`);
    const gateway = start(
      'apps/gateway/src/main.js',
      gatewayEnv({ trustFile: trust.file, databaseUrl: db.url, rnppPort, gatewayPort: gwPort }),
    );
    children.push(gateway);
    await waitFor(`http://127.0.0.1:${gwPort}/health/ready`);
    const list = await listPersons(rnppPort, 50);
    let subject = list[0];
    let record: Record<string, unknown> = {};
    for (const m of list) {
      const res = await request(`http://127.0.0.1:${rnppPort}/persons/${m}?fields=${RNPP_FIELDS}`);
      record = (await res.body.json()) as Record<string, unknown>;
      subject = m;
      if (record.address) break;
    }
    const bareApp = start('bench/bare-gateway.js', { PORT: barePort, BARE_PERSON: JSON.stringify(record) });
    children.push(bareApp);
    const bareRegisterApp = start('bench/bare-gateway.js', {
      PORT: bareRegisterPort,
      BARE_RNPP_URL: `http://127.0.0.1:${rnppPort}`,
      BARE_RNPP_FIELDS: RNPP_FIELDS,
    });
    children.push(bareRegisterApp);
    await waitForGraphql(barePort);
    await waitForGraphql(bareRegisterPort);

    const consent = await memberOneConsent(trust, subject, ['name', 'birth', 'address']);
    const body = JSON.stringify({ query: QUERY, variables: { m: subject } });
    const full = memberHeaders(await memberOneAssertion(trust), consent);
    const bare = { 'content-type': 'application/json' };
    const ok = (t: string): boolean => t.includes('"surname"') && !t.includes('"errors"');

    type Run = HttpResult & { cpuMsPerRequest: number };
    /** One load, with the CPU time (user + system, all threads) the target's process spent per answer. */
    const load = async (pid: number, port: string, headers: Record<string, string>): Promise<Run> => {
      const cpu0 = cpuSeconds(pid);
      const r = await httpLoad(`http://127.0.0.1:${port}/graphql`, headers, body, ok, LOAD);
      return { ...r, cpuMsPerRequest: ((cpuSeconds(pid) - cpu0) * 1000) / r.requests };
    };
    const fullRuns: Run[] = [];
    const bareRuns: Run[] = [];
    const bareRegisterRuns: Run[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      bareRuns.push(await load(bareApp.pid!, barePort, bare));
      bareRegisterRuns.push(await load(bareRegisterApp.pid!, bareRegisterPort, bare));
      fullRuns.push(await load(gateway.pid!, gwPort, full));
      process.stderr.write(
        `round ${i + 1}/${ROUNDS}: bare ${bareRuns[i].rps.toFixed(0)} rps, bare + register ${bareRegisterRuns[i].rps.toFixed(0)} rps, full ${fullRuns[i].rps.toFixed(0)} rps\n`,
      );
    }
    for (const c of children) c.kill('SIGTERM');
    const append1 = await appendRate(appendDb.url, 1);
    const append64 = await appendRate(appendDb.url, 64);

    const summary = (runs: Run[]) => ({
      rps: median(runs.map((r) => r.rps)),
      cpuMsPerRequest: median(runs.map((r) => r.cpuMsPerRequest)),
      roundsRps: runs.map((r) => Math.round(r.rps)),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
      errors: runs.reduce((a, r) => a + r.errors + r.non2xx, 0),
    });
    const F = summary(fullRuns);
    const Bs = summary(bareRuns);
    const BR = summary(bareRegisterRuns);
    const result = {
      date: new Date().toISOString(),
      machine: machine(),
      settings: { durationS: DURATION_S, rounds: ROUNDS, connections: CONNECTIONS, appendS: APPEND_S },
      full: F,
      bare: Bs,
      bareRegister: BR,
      ratioFullToBare: F.rps / Bs.rps,
      ratioFullToBareRegister: F.rps / BR.rps,
      cpuRatioFullToBareRegister: F.cpuMsPerRequest / BR.cpuMsPerRequest,
      appendSequential: append1,
      appendConcurrent64: append64,
    };
    saveResult('latest', result);
    const f = (n: number, d = 0) => n.toFixed(d);
    process.stdout.write(
      [
        `| scenario (${CONNECTIONS} connections, ${DURATION_S} s x ${ROUNDS} rounds, medians) | requests/s | p50 ms | p99 ms | errors | process CPU ms per request |`,
        '|---|---|---|---|---|---|',
        `| bare Nest + Fastify + Apollo, object from memory | ${f(Bs.rps)} | ${f(Bs.p50, 1)} | ${f(Bs.p99, 1)} | ${Bs.errors} | ${f(Bs.cpuMsPerRequest, 2)} |`,
        `| bare + register: the same resolver, person read from the RNPP simulator over HTTP | ${f(BR.rps)} | ${f(BR.p50, 1)} | ${f(BR.p99, 1)} | ${BR.errors} | ${f(BR.cpuMsPerRequest, 2)} |`,
        `| full path: auth + consent + RNPP over HTTP + log append | ${f(F.rps)} | ${f(F.p50, 1)} | ${f(F.p99, 1)} | ${F.errors} | ${f(F.cpuMsPerRequest, 2)} |`,
        `| ratio full / bare (target ≥ 0.50) | ${f(result.ratioFullToBare, 2)} | | | | |`,
        `| ratio full / bare + register (target ≥ 0.80) | ${f(result.ratioFullToBareRegister, 2)} | | | | ${f(result.cpuRatioFullToBareRegister, 2)} (CPU full / bare + register) |`,
        '',
        `Rounds, requests/s: bare ${Bs.roundsRps.join(', ')}; bare + register ${BR.roundsRps.join(', ')}; full ${F.roundsRps.join(', ')}.`,
        '',
        `| access-log appends alone (${APPEND_S} s each) | appends/s | p50 ms | p99 ms |`,
        '|---|---|---|---|',
        `| 1 appender (one commit per entry) | ${f(append1.perSecond)} | ${f(append1.p50, 2)} | ${f(append1.p99, 2)} |`,
        `| 64 concurrent appenders (group commit) | ${f(append64.perSecond)} | ${f(append64.p50, 2)} | ${f(append64.p99, 2)} |`,
        '',
      ].join('\n'),
    );
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    await db.drop();
    await appendDb.drop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
