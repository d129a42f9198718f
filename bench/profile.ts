/**
 * `npm run bench:profile`: where the gateway's CPU goes, per granted request and per stage, beside
 * the "bare + register" and "bare" baselines of `npm run bench`.
 *
 * It starts, as separate processes, the RNPP simulator, the real gateway (development mode, fresh
 * database, as `npm run bench` does) and the two bare Nest + Fastify + Apollo apps of
 * bench/bare-gateway.ts (one reading the person from the simulator over HTTP, one returning it
 * from memory). The three targets run under `node --cpu-prof`, with bench/profile-threads.js
 * preloaded (it finds libuv's pool threads). Each target gets BENCH_WARMUP_S (3 s) of load, not
 * counted, then BENCH_ROUNDS (2) windows of BENCH_PROFILE_S (10 s) of autocannon load with
 * BENCH_CONNECTIONS (16), the targets in turn. The same query as `npm run bench` (items name,
 * birth, address, a matching consent). Then the processes are stopped (SIGTERM: the profiles are
 * written at exit) and the profiles are read.
 *
 * Per target:
 * - the ground truth: the process's CPU time (user + system, from /proc/<pid>/task/<tid>/stat,
 *   summed over the measured windows) divided by the requests answered in them, split by thread:
 *   the main thread, libuv's pool (WebCrypto's signature checks run there) and the others (V8's
 *   GC and compiler helpers). The profiler's own sampling thread is left out.
 * - the main thread's CPU split by stage: the profile's samples inside the measured windows are
 *   attributed to stages by bench/profile-stages.ts (the table and the rule are there), and each
 *   stage gets its share of the main thread's measured CPU time.
 *
 * Output: a markdown table (stdout), the top functions of the gateway, bench/results/profile.json,
 * and the .cpuprofile files under bench/profiles/<time>/ (gitignored; open them in Chrome DevTools).
 */
import { type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import autocannon from 'autocannon';
import { request } from 'undici';
import { createTestDatabase, makeTrustFixture } from '@broker/testing';
import { attribute, type CpuProfile, STAGE_LABELS, STAGES, type Stage, type Window } from './profile-stages';
import {
  freePort,
  gatewayEnv,
  httpLoad,
  listPersons,
  machine,
  memberHeaders,
  memberOneAssertion,
  memberOneConsent,
  saveResult,
  start,
  stop,
  waitFor,
  waitForGraphql,
} from './support';

const PROFILE_S = Number(process.env.BENCH_PROFILE_S ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WARMUP_S = Number(process.env.BENCH_WARMUP_S ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const RNPP_FIELDS = 'surname,givenNames,birthDate,birthPlace,address';
const QUERY =
  'query Q($m: ID!) { person(matricule: $m) { matricule surname givenNames birthDate birthPlace { locality country } address { street houseNumber postalCode locality commune } } }';
/** This checkout (the benchmark runs from its dist/bench). */
const ROOT = path.resolve(__dirname, '..', '..');

type TargetName = 'full' | 'bareRegister' | 'bare';
const TITLES: Record<TargetName, string> = {
  full: 'full path (gateway)',
  bareRegister: 'bare + register',
  bare: 'bare',
};

/** CPU seconds per thread of `pid` (user + system), and the names of the threads. */
function threadCpu(pid: number): Map<number, { cpu: number; name: string }> {
  const out = new Map<number, { cpu: number; name: string }>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(') '));
      // utime and stime (fields 14 and 15 of proc(5)) in clock ticks, USER_HZ = 100
      out.set(Number(t), { cpu: (Number(fields[11]) + Number(fields[12])) / 100, name });
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

/** The process's whole CPU seconds (threads that ended included), from /proc/<pid>/stat. */
function processCpu(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface Target {
  name: TargetName;
  child: ChildProcess;
  url: string;
  headers: Record<string, string>;
  profDir: string;
  threadsFile: string;
  windows: Window[];
  requests: number;
  seconds: number;
  errors: number;
  cpu: { total: number; main: number; pool: number; profiler: number };
  /** CPU seconds of each thread other than the main thread, summed over the windows (for the JSON). */
  threads: Record<string, number>;
}

/** Monotonic µs, the clock of the .cpuprofile timestamps. */
const nowUs = (): number => Number(process.hrtime.bigint() / 1000n);

/** One measured window of load on `t`: requests answered and each thread group's CPU time. */
async function measure(t: Target, pool: Set<number>, body: string): Promise<void> {
  const pid = t.child.pid!;
  const before = threadCpu(pid);
  const total0 = processCpu(pid);
  const from = nowUs();
  const r = await autocannon({
    url: t.url,
    method: 'POST',
    headers: t.headers,
    body,
    connections: CONNECTIONS,
    duration: PROFILE_S,
  });
  const to = nowUs();
  const after = threadCpu(pid);
  const total = processCpu(pid) - total0;
  const delta = (keep: (tid: number, name: string) => boolean): number => {
    let s = 0;
    for (const [tid, a] of after) if (keep(tid, a.name)) s += a.cpu - (before.get(tid)?.cpu ?? 0);
    return s;
  };
  t.windows.push({ from, to });
  t.requests += r.requests.total;
  t.seconds += (to - from) / 1e6;
  t.errors += r.errors + r.non2xx;
  t.cpu.total += total;
  t.cpu.main += delta((tid) => tid === pid);
  t.cpu.pool += delta((tid) => pool.has(tid));
  t.cpu.profiler += delta((_tid, name) => name.startsWith('v8:Prof'));
  for (const [tid, a] of after) {
    if (tid === pid) continue;
    const key = `${tid} ${pool.has(tid) ? 'libuv pool' : a.name}`;
    t.threads[key] = (t.threads[key] ?? 0) + a.cpu - (before.get(tid)?.cpu ?? 0);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'broker-bench-profile-'));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const profRoot = path.join(ROOT, 'bench', 'profiles', stamp);
  const trust = await makeTrustFixture(dir);
  const db = await createTestDatabase('broker_bench_profile');
  const children: ChildProcess[] = [];
  try {
    const rnppPort = await freePort();
    children.push(start('apps/rnpp-simulator/src/main.js', { RNPP_PORT: rnppPort }));
    await waitFor(`http://127.0.0.1:${rnppPort}/health`);
    const list = await listPersons(rnppPort, 50);
    let subjectOf = list[0];
    let record: Record<string, unknown> = {};
    for (const m of list) {
      const res = await request(`http://127.0.0.1:${rnppPort}/persons/${m}?fields=${RNPP_FIELDS}`);
      record = (await res.body.json()) as Record<string, unknown>;
      subjectOf = m;
      if (record.address) break;
    }

    const profiled = async (
      name: TargetName,
      script: string,
      env: Record<string, string>,
      ready: (port: string) => Promise<void>,
      port: string,
      headers: Record<string, string>,
    ): Promise<Target> => {
      const profDir = path.join(profRoot, name);
      mkdirSync(profDir, { recursive: true });
      const threadsFile = path.join(dir, `${name}.threads.json`);
      const child = start(script, { ...env, BENCH_THREADS_FILE: threadsFile }, [
        '--cpu-prof',
        `--cpu-prof-dir=${profDir}`,
        '-r',
        path.join(__dirname, 'profile-threads.js'),
      ]);
      children.push(child);
      await ready(port);
      return {
        name,
        child,
        url: `http://127.0.0.1:${port}/graphql`,
        headers,
        profDir,
        threadsFile,
        windows: [],
        requests: 0,
        seconds: 0,
        errors: 0,
        cpu: { total: 0, main: 0, pool: 0, profiler: 0 },
        threads: {},
      };
    };

    const consent = await memberOneConsent(trust, subjectOf, ['name', 'birth', 'address'], {
      lifetimeS: 3600,
    });
    const gwPort = await freePort();
    const plain = { 'content-type': 'application/json' };
    const targets: Target[] = [
      await profiled(
        'full',
        'apps/gateway/src/main.js',
        gatewayEnv({ trustFile: trust.file, databaseUrl: db.url, rnppPort, gatewayPort: gwPort }),
        (p) => waitFor(`http://127.0.0.1:${p}/health/ready`),
        gwPort,
        memberHeaders(await memberOneAssertion(trust), consent),
      ),
    ];
    const brPort = await freePort();
    targets.push(
      await profiled(
        'bareRegister',
        'bench/bare-gateway.js',
        { PORT: brPort, BARE_RNPP_URL: `http://127.0.0.1:${rnppPort}`, BARE_RNPP_FIELDS: RNPP_FIELDS },
        waitForGraphql,
        brPort,
        plain,
      ),
    );
    const barePort = await freePort();
    targets.push(
      await profiled(
        'bare',
        'bench/bare-gateway.js',
        { PORT: barePort, BARE_PERSON: JSON.stringify(record) },
        waitForGraphql,
        barePort,
        plain,
      ),
    );

    const pools = new Map<TargetName, Set<number>>();
    for (const t of targets) {
      const found = JSON.parse(readFileSync(t.threadsFile, 'utf8')) as { pool: number[] };
      pools.set(t.name, new Set(found.pool));
    }
    const body = JSON.stringify({ query: QUERY, variables: { m: subjectOf } });
    const ok = (text: string): boolean => text.includes('"surname"') && !text.includes('"errors"');
    // warm-up, not counted (JIT, pools, the consent ledger's first write); it also checks that each answers with data
    for (const t of targets) {
      await httpLoad(t.url, t.headers, body, ok, { connections: CONNECTIONS, durationS: WARMUP_S });
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const t of round % 2 ? [...targets].reverse() : targets)
        await measure(t, pools.get(t.name)!, body);
      process.stderr.write(
        `round ${round + 1}/${ROUNDS}: ${targets.map((t) => `${t.name} ${t.requests} requests so far`).join(', ')}\n`,
      );
    }
    // stop them all before reading: --cpu-prof writes each profile when its process exits
    for (const t of targets) await stop(t.child);

    const report = targets.map((t) => {
      const file = readdirSync(t.profDir).find((f) => f.endsWith('.cpuprofile'));
      if (!file) throw new Error(`${t.name}: no .cpuprofile in ${t.profDir} (did the process exit cleanly?)`);
      const profile = JSON.parse(readFileSync(path.join(t.profDir, file), 'utf8')) as CpuProfile;
      const a = attribute(profile, t.windows);
      const busy = STAGES.filter((s) => s !== 'idle').reduce((sum, s) => sum + a.stageSamples[s], 0);
      const perRequestUs = (cpuSeconds: number) => (cpuSeconds * 1e6) / t.requests;
      // the profiler's sampling thread is the measurement's cost, not the target's
      const totalUs = perRequestUs(t.cpu.total - t.cpu.profiler);
      const mainUs = perRequestUs(t.cpu.main);
      const stages = Object.fromEntries(
        STAGES.filter((s) => s !== 'idle').map((s) => [s, busy ? (a.stageSamples[s] / busy) * mainUs : 0]),
      ) as Record<Exclude<Stage, 'idle'>, number>;
      return {
        name: t.name,
        profile: path.relative(ROOT, path.join(t.profDir, file)),
        requests: t.requests,
        rps: t.requests / t.seconds,
        errors: t.errors,
        samples: a.samples,
        busySamples: busy,
        idleShare: a.stageSamples.idle / (busy + a.stageSamples.idle),
        // about the sampling interval (1000 µs) if the samples follow the CPU time
        mainCpuUsPerBusySample: busy ? (t.cpu.main * 1e6) / busy : 0,
        cpuUsPerRequest: {
          total: totalUs,
          mainThread: mainUs,
          libuvPool: perRequestUs(t.cpu.pool),
          otherThreads: perRequestUs(t.cpu.total - t.cpu.main - t.cpu.pool - t.cpu.profiler),
          profilerThread: perRequestUs(t.cpu.profiler),
        },
        threadCpuSeconds: t.threads,
        stages,
        topFunctions: a.functions
          .filter((f) => f.stage !== 'idle')
          .slice(0, 25)
          .map((f) => ({
            name: f.name,
            stage: f.stage,
            usPerRequest: busy ? (f.samples / busy) * mainUs : 0,
          })),
      };
    });
    const by = Object.fromEntries(report.map((r) => [r.name, r])) as Record<
      TargetName,
      (typeof report)[number]
    >;
    const result = {
      date: new Date().toISOString(),
      machine: machine(),
      settings: { profileS: PROFILE_S, rounds: ROUNDS, warmupS: WARMUP_S, connections: CONNECTIONS },
      targets: by,
      cpuRatioFullToBareRegister: by.full.cpuUsPerRequest.total / by.bareRegister.cpuUsPerRequest.total,
      cpuRatioFullToBare: by.full.cpuUsPerRequest.total / by.bare.cpuUsPerRequest.total,
    };
    saveResult('profile', result);
    process.stdout.write(table(report, result));
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    await db.drop();
  }
}

type Report = {
  name: TargetName;
  profile: string;
  requests: number;
  rps: number;
  errors: number;
  samples: number;
  busySamples: number;
  idleShare: number;
  mainCpuUsPerBusySample: number;
  cpuUsPerRequest: {
    total: number;
    mainThread: number;
    libuvPool: number;
    otherThreads: number;
    profilerThread: number;
  };
  stages: Record<Exclude<Stage, 'idle'>, number>;
  topFunctions: { name: string; stage: Stage; usPerRequest: number }[];
};

function table(
  report: Report[],
  result: { cpuRatioFullToBareRegister: number; cpuRatioFullToBare: number },
): string {
  const f0 = (n: number) => n.toFixed(0);
  const pct = (n: number, of: number) => (of ? `${((100 * n) / of).toFixed(1)} %` : '');
  const cells = (pick: (r: Report) => number) =>
    report.map((r) => `${f0(pick(r))} | ${pct(pick(r), r.cpuUsPerRequest.total)}`).join(' | ');
  const lines = [
    `| gateway CPU per granted request (µs), ${CONNECTIONS} connections, ${ROUNDS} x ${PROFILE_S} s | ${report.map((r) => `${TITLES[r.name]} µs | %`).join(' | ')} |`,
    `|---|${report.map(() => '---|---').join('|')}|`,
  ];
  for (const s of STAGES) {
    if (s === 'idle') continue;
    lines.push(`| ${STAGE_LABELS[s]} | ${cells((r) => r.stages[s])} |`);
  }
  lines.push(
    `| libuv pool threads (WebCrypto: the ES256 signature checks) | ${cells((r) => r.cpuUsPerRequest.libuvPool)} |`,
    `| other threads (V8's concurrent GC and compiler) | ${cells((r) => r.cpuUsPerRequest.otherThreads)} |`,
    `| **total: process CPU per request (/proc)** | ${report.map((r) => `**${f0(r.cpuUsPerRequest.total)}** | 100 %`).join(' | ')} |`,
    `| requests/s while profiled (answered requests) | ${report.map((r) => `${f0(r.rps)} (${r.requests}) | `).join(' | ')} |`,
    '',
    `Gateway total ÷ bare + register total: **${result.cpuRatioFullToBareRegister.toFixed(2)}** (target ≤ 1.5); ÷ bare: ${result.cpuRatioFullToBare.toFixed(2)}.`,
    `Errors: ${report.map((r) => `${r.name} ${r.errors}`).join(', ')}. Main-thread samples in the windows, not idle: ${report.map((r) => `${r.name} ${r.busySamples} (idle ${(100 * r.idleShare).toFixed(0)} %)`).join(', ')}; main-thread CPU per busy sample (the interval is 1000 µs) ${report.map((r) => `${f0(r.mainCpuUsPerBusySample)} µs`).join(', ')}; the profiler's own thread, left out: ${report.map((r) => `${f0(r.cpuUsPerRequest.profilerThread)} µs`).join(', ')}.`,
    `Profiles: ${report.map((r) => r.profile).join(', ')}.`,
    '',
    `| top functions of the gateway (self time) | stage | µs per request |`,
    '|---|---|---|',
    ...report[0].topFunctions.map((t) => `| \`${t.name}\` | ${t.stage} | ${t.usPerRequest.toFixed(1)} |`),
    '',
  );
  return lines.join('\n');
}

if (!existsSync('/proc/self/task')) {
  process.stderr.write('bench:profile reads /proc (Linux only)\n');
  process.exit(1);
}
main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
