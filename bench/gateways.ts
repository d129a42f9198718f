/**
 * `npm run bench:gateways`: several gateway processes on this machine behind one HAProxy port,
 * against one PostgreSQL and one Redis (issue 14, "Several gateways").
 *
 * One PostgreSQL database and one RNPP simulator for the whole run; then, each round:
 *   - baseline: gateway 1 loaded directly (no proxy);
 *   - N = 1, 2, 4: N gateway processes (own GATEWAY_PORT and METRICS_PORT, same database and
 *     Redis, BROKER_MODE=development as every benchmark's gateway) behind one HAProxy port
 *     (a configuration generated into a temp dir: round robin, /health/ready checks), loaded there.
 * The load is the granted `person` query of `npm run bench` (autocannon, bench/support.ts); each
 * gateway gets BENCH_WARMUP_S (3) seconds of it directly when it starts, unmeasured.
 * Reported per scenario: requests/s, p50/p99, CPU per request of the gateways, of HAProxy and of
 * the database's backends (their /proc times: PostgreSQL runs on this machine), and the log's
 * ordering cost: entries per group commit (entries ÷ distinct committing transactions, from the
 * rows' xmin) and how many sessions were waiting on a lock (the access_log_head row: the only
 * lock the request path takes) in pg_stat_activity sampled every 10 ms.
 * HAProxy comes from Debian's package: installed with apt-get when missing (.ci/run installs it).
 * Results: stdout (markdown for docs/benchmarks.md) and bench/results/gateways.json.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { request } from 'undici';
import { createTestDatabase, makeTrustFixture } from '@broker/testing';
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
  stop,
  waitFor,
} from './support';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const COUNTS = (process.env.BENCH_GATEWAYS ?? '1,2,4').split(',').map(Number);
/** Load on each new gateway before it is measured: a cold process (JIT, pools) costs several times more per request. */
/** Seconds the gateways are watched without load before each scenario. */
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 2);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 3);
const QUERY = 'query Q($m: ID!) { person(matricule: $m) { matricule surname givenNames birthDate } }';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** HAProxy from Debian's package, installed when missing (as .ci/run does). */
function haproxyBinary(): string {
  const find = (): string | undefined => {
    try {
      return execFileSync('sh', ['-c', 'command -v haproxy || ls /usr/sbin/haproxy'], { encoding: 'utf8' })
        .trim()
        .split('\n')[0];
    } catch {
      return undefined;
    }
  };
  const found = find();
  if (found) return found;
  process.stderr.write('haproxy missing: apt-get install haproxy\n');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', 'haproxy'], { stdio: 'inherit', env });
  const installed = find();
  if (!installed) throw new Error('haproxy is not installed and apt-get could not install it');
  return installed;
}

/** The configuration of deploy/haproxy/haproxy.cfg, on loopback ports, with a stats listener to see the servers' states. */
const haproxyConfig = (port: string, statsPort: string, gatewayPorts: string[]): string =>
  [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  option forwardfor',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 15s',
    'frontend bench',
    `  bind 127.0.0.1:${port}`,
    '  default_backend gateways',
    'backend gateways',
    '  balance roundrobin',
    '  option httpchk GET /health/ready',
    '  http-check expect status 200',
    '  default-server check inter 1s fall 2 rise 1',
    ...gatewayPorts.map((p, i) => `  server gateway-${i + 1} 127.0.0.1:${p}`),
    'listen stats',
    `  bind 127.0.0.1:${statsPort}`,
    '  stats enable',
    '  stats uri /stats',
    '',
  ].join('\n');

/** HAProxy's CSV stats: each gateway's state and the requests it was sent (for the round robin's spread). */
async function backendServers(statsPort: string): Promise<{ name: string; status: string; sent: number }[]> {
  const res = await request(`http://127.0.0.1:${statsPort}/stats;csv`);
  const [header, ...rows] = (await res.body.text()).replace(/^# /, '').trim().split('\n');
  const col = header.split(',');
  const at = (name: string) => col.indexOf(name);
  return rows
    .map((r) => r.split(','))
    .filter((f) => f[at('pxname')] === 'gateways' && !['BACKEND', 'FRONTEND'].includes(f[at('svname')]))
    .map((f) => ({ name: f[at('svname')], status: f[at('status')], sent: Number(f[at('stot')]) }));
}

async function startProxy(
  dir: string,
  binary: string,
  gatewayPorts: string[],
): Promise<{ child: ChildProcess; port: string; statsPort: string }> {
  const port = await freePort();
  const statsPort = await freePort();
  const file = path.join(dir, `haproxy-${gatewayPorts.length}.cfg`);
  writeFileSync(file, haproxyConfig(port, statsPort, gatewayPorts));
  // -db: foreground, so that the bench owns the process and stops it
  const child = spawn(binary, ['-db', '-f', file], { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 120; i++) {
    try {
      const servers = await backendServers(statsPort);
      if (servers.length === gatewayPorts.length && servers.every((s) => s.status === 'UP'))
        return { child, port, statsPort };
    } catch {
      /* not listening yet */
    }
    await sleep(250);
  }
  await stop(child);
  throw new Error('HAProxy never saw every gateway UP');
}

/** CPU seconds used so far by the backends of database `name` (PostgreSQL runs on this machine). */
async function databaseCpu(admin: Client, name: string): Promise<Map<number, number>> {
  const rows = (
    await admin.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    )
  ).rows;
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      cpu.set(pid, cpuSeconds(pid));
    } catch {
      /* the backend ended meanwhile */
    }
  }
  return cpu;
}

type Scenario = HttpResult & {
  gateways: number;
  proxied: boolean;
  gatewayCpuMs: number;
  proxyCpuMs: number;
  postgresCpuMs: number;
  entriesPerCommit: number;
  lockWaitersMean: number;
  lockWaitShare: number;
  spread: number[];
  idleCpuMsPerS: number;
};

async function main(): Promise<void> {
  const loadAtStart = loadavg();
  const haproxy = haproxyBinary();
  const dir = mkdtempSync(path.join(tmpdir(), 'broker-bench-gateways-'));
  const trust = await makeTrustFixture(dir);
  const db = await createTestDatabase('broker_bench_gateways');
  const admin = new Client({ connectionString: db.url });
  const children: ChildProcess[] = [];
  const gateways: { child: ChildProcess; port: string }[] = [];
  try {
    await admin.connect();
    const rnppPort = await freePort();
    children.push(start('apps/rnpp-simulator/src/main.js', { RNPP_PORT: rnppPort }));
    await waitFor(`http://127.0.0.1:${rnppPort}/health`);
    const [subject] = await listPersons(rnppPort, 1);
    const consent = await memberOneConsent(trust, subject, ['name', 'birth', 'address']);
    // a member assertion lives 300 s at most, less than the whole run: a fresh one for each load
    const headers = async () => memberHeaders(await memberOneAssertion(trust), consent);
    const body = JSON.stringify({ query: QUERY, variables: { m: subject } });
    const ok = (t: string): boolean => t.includes('"surname"') && !t.includes('"errors"');
    const loadOn = async (port: string, durationS: number) =>
      httpLoad(`http://127.0.0.1:${port}/graphql`, await headers(), body, ok, {
        connections: CONNECTIONS,
        durationS,
      });
    /** Starts gateways until `n` run, one after the other (the first migrates the fresh database). */
    const ensure = async (n: number): Promise<void> => {
      while (gateways.length < n) {
        const port = await freePort();
        const env = gatewayEnv(
          { trustFile: trust.file, databaseUrl: db.url, rnppPort, gatewayPort: port },
          { METRICS_PORT: await freePort() },
        );
        const child = start('apps/gateway/src/main.js', env);
        children.push(child);
        gateways.push({ child, port });
        await waitFor(`http://127.0.0.1:${port}/health/ready`);
        await loadOn(port, WARMUP_S);
      }
      while (gateways.length > n) await stop(gateways.pop()!.child);
    };

    const load = async (n: number, proxied: boolean): Promise<Scenario> => {
      await ensure(n);
      const proxy = proxied
        ? await startProxy(
            dir,
            haproxy,
            gateways.map((g) => g.port),
          )
        : undefined;
      try {
        const pids = gateways.map((g) => g.child.pid!);
        // what the gateways spend without requests (timers, integrator, health checks), per second each
        const idle0 = pids.reduce((a, p) => a + cpuSeconds(p), 0);
        await sleep(IDLE_S * 1000);
        const idleCpuMsPerS = ((pids.reduce((a, p) => a + cpuSeconds(p), 0) - idle0) * 1000) / IDLE_S / n;
        const seq0 = Number((await admin.query('SELECT seq FROM access_log_head')).rows[0].seq);
        const gw0 = pids.reduce((a, p) => a + cpuSeconds(p), 0);
        const px0 = proxy ? cpuSeconds(proxy.child.pid!) : 0;
        const pg0 = await databaseCpu(admin, db.name);
        // the lock waits, sampled beside the load (the probe request included: one more entry)
        let sampling = true;
        const samples: number[] = [];
        const sampler = (async () => {
          while (sampling) {
            const r = await admin.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity
                WHERE datname = $1 AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`,
              [db.name],
            );
            samples.push(r.rows[0].n);
            await sleep(10);
          }
        })();
        const r = await loadOn(proxy?.port ?? gateways[0].port, DURATION_S);
        sampling = false;
        await sampler;
        const gwCpu = pids.reduce((a, p) => a + cpuSeconds(p), 0) - gw0;
        const pxCpu = proxy ? cpuSeconds(proxy.child.pid!) - px0 : 0;
        const pg1 = await databaseCpu(admin, db.name);
        let pgCpu = 0;
        for (const [pid, s] of pg1) pgCpu += s - (pg0.get(pid) ?? 0);
        const commits = await admin.query<{ entries: number; commits: number }>(
          'SELECT count(*)::int AS entries, count(DISTINCT xmin::text)::int AS commits FROM access_log WHERE seq > $1',
          [seq0],
        );
        const { entries, commits: groups } = commits.rows[0];
        const spread = proxy ? (await backendServers(proxy.statsPort)).map((s) => s.sent) : [r.requests];
        const perRequest = (s: number) => (s * 1000) / Math.max(1, r.requests);
        return {
          ...r,
          gateways: n,
          proxied,
          gatewayCpuMs: perRequest(gwCpu),
          idleCpuMsPerS,
          proxyCpuMs: perRequest(pxCpu),
          postgresCpuMs: perRequest(pgCpu),
          entriesPerCommit: entries / Math.max(1, groups),
          lockWaitersMean: samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length),
          lockWaitShare: samples.filter((s) => s > 0).length / Math.max(1, samples.length),
          spread,
        };
      } finally {
        if (proxy) await stop(proxy.child);
      }
    };

    const runs: Scenario[][] = [];
    const plan: [number, boolean][] = [[1, false], ...COUNTS.map((n): [number, boolean] => [n, true])];
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, [n, proxied]] of plan.entries()) {
        const s = await load(n, proxied);
        (runs[i] ??= []).push(s);
        process.stderr.write(
          `round ${round + 1}/${ROUNDS}: ${proxied ? `${n} behind HAProxy` : '1 direct'}: ${s.rps.toFixed(0)} rps, ${s.entriesPerCommit.toFixed(1)} entries/commit, lock waiters ${s.lockWaitersMean.toFixed(2)}\n`,
        );
      }
      await ensure(1);
    }
    const summary = runs.map((rs) => {
      const m = (f: (s: Scenario) => number) => median(rs.map(f));
      return {
        gateways: rs[0].gateways,
        proxied: rs[0].proxied,
        rps: m((s) => s.rps),
        roundsRps: rs.map((s) => Math.round(s.rps)),
        p50: m((s) => s.p50),
        p99: m((s) => s.p99),
        errors: rs.reduce((a, s) => a + s.errors + s.non2xx, 0),
        gatewayCpuMs: m((s) => s.gatewayCpuMs),
        proxyCpuMs: m((s) => s.proxyCpuMs),
        idleCpuMsPerS: m((s) => s.idleCpuMsPerS),
        postgresCpuMs: m((s) => s.postgresCpuMs),
        entriesPerCommit: m((s) => s.entriesPerCommit),
        lockWaitersMean: m((s) => s.lockWaitersMean),
        lockWaitShare: m((s) => s.lockWaitShare),
        spread: rs[rs.length - 1].spread,
      };
    });
    saveResult('gateways', {
      date: new Date().toISOString(),
      machine: machine(),
      loadAverage: { start: loadAtStart, end: loadavg() },
      settings: { durationS: DURATION_S, rounds: ROUNDS, connections: CONNECTIONS, counts: COUNTS },
      scenarios: summary,
    });
    const f = (n: number, d = 0) => n.toFixed(d);
    process.stdout.write(
      [
        `| scenario (${CONNECTIONS} connections, ${DURATION_S} s x ${ROUNDS} rounds, medians) | requests/s | p50 ms | p99 ms | errors | CPU ms/request: gateways | HAProxy | PostgreSQL | entries per group commit | sessions waiting on a lock (mean) | samples with a lock wait |`,
        '|---|---|---|---|---|---|---|---|---|---|---|',
        ...summary.map(
          (s) =>
            `| ${s.proxied ? `${s.gateways} gateway${s.gateways > 1 ? 's' : ''} behind HAProxy` : '1 gateway, direct (baseline)'} | ${f(s.rps)} | ${f(s.p50, 1)} | ${f(s.p99, 1)} | ${s.errors} | ${f(s.gatewayCpuMs, 2)} | ${f(s.proxyCpuMs, 2)} | ${f(s.postgresCpuMs, 2)} | ${f(s.entriesPerCommit, 1)} | ${f(s.lockWaitersMean, 2)} | ${f(s.lockWaitShare * 100)} % |`,
        ),
        '',
        `Idle CPU per gateway (ms per second, without requests): ${summary.map((s) => `${s.proxied ? `${s.gateways} proxied` : 'direct'} ${f(s.idleCpuMsPerS, 1)}`).join('; ')}.`,
        `Machine: ${machine()}; load average (1, 5, 15 min) at start ${loadAtStart.map((l) => f(l, 1)).join(', ')}, at end ${loadavg()
          .map((l) => f(l, 1))
          .join(', ')}.`,
        `Rounds, requests/s: ${summary.map((s) => `${s.proxied ? `${s.gateways} proxied` : 'direct'} ${s.roundsRps.join(', ')}`).join('; ')}.`,
        `Requests each gateway was sent (last round, HAProxy's stot): ${summary
          .filter((s) => s.proxied)
          .map((s) => `${s.gateways}: ${s.spread.join(' / ')}`)
          .join('; ')}.`,
        '',
      ].join('\n'),
    );
  } finally {
    await admin.end().catch(() => undefined);
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await sleep(500);
    await db.drop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
