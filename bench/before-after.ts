/**
 * The RNPP-only full path (`person { surname birthDate }`, items name and birth, a matching
 * consent) before and after a change, in the same run (`bench/registry.ts`, `bench/tlog-sync.ts`).
 * "Before" is a baseline commit, checked out into a temporary git worktree and built there;
 * "after" is this checkout. Both gateways run at once, in development mode, each over its own
 * fresh database on the same PostgreSQL, with the same trust file, reading the same RNPP simulator
 * (the CCSS and RCS simulators run too, idle, as the current gateway is configured with them).
 * They are loaded in turn with autocannon (BENCH_CONNECTIONS, 16) for BENCH_ROUNDS rounds (10) of
 * BENCH_DURATION_S (5 s) each, the order swapped every round: short loads, so that the noise of
 * the shared machine falls on both alike. Reported: medians of requests/s and of the gateway
 * process's CPU time per request (from /proc, less disturbed by the other processes than
 * requests/s), and their ratios after/before. `BENCH_CPU_PROF=<dir>` starts both gateways with
 * --cpu-prof into <dir>/before and <dir>/after. The temporary worktree is removed at the end, also
 * on failure or interruption. Results: stdout (markdown for docs/benchmarks.md) and
 * bench/results/<name>.json.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
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
  percentile,
  saveResult,
  start,
  stop,
  waitFor,
} from './support';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const LOAD = {
  connections: Number(process.env.BENCH_CONNECTIONS ?? 16),
  durationS: Number(process.env.BENCH_DURATION_S ?? 5),
};
const WARMUP = { connections: LOAD.connections, durationS: 3 };
const CPU_PROF = process.env.BENCH_CPU_PROF;
const QUERY = 'query Q($m: ID!) { person(matricule: $m) { surname birthDate } }';
/** This checkout (the benchmark runs from its dist/bench). */
const ROOT = path.resolve(__dirname, '..', '..');

type Build = 'before' | 'after';
type Run = HttpResult & { cpuMsPerRequest: number };

/** Checks `ref` out into a new git worktree at `tree` and builds it there. */
function buildBaseline(tree: string, ref: string): void {
  execFileSync('git', ['worktree', 'add', '--detach', tree, ref], { cwd: ROOT, stdio: 'ignore' });
  symlinkSync(realpathSync(path.join(ROOT, 'node_modules')), path.join(tree, 'node_modules'));
  execFileSync(process.execPath, ['scripts/build.js'], { cwd: tree, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** Removes the temporary worktree and its directory (synchronous: also from a signal handler). */
function removeBaseline(dir: string, tree: string): void {
  if (existsSync(tree)) {
    try {
      execFileSync('git', ['worktree', 'remove', '--force', tree], { cwd: ROOT, stdio: 'ignore' });
    } catch {
      // not a worktree (the add failed half way): the directory goes below, git forgets it on prune
    }
  }
  rmSync(dir, { recursive: true, force: true });
  execFileSync('git', ['worktree', 'prune'], { cwd: ROOT, stdio: 'ignore' });
}

/** What differs between the before/after benchmarks. */
export interface BeforeAfter {
  /** The results file (bench/results/<name>.json) and the prefix of temporary names. */
  name: string;
  /** The baseline commit (BENCH_BASELINE overrides it). */
  baseline: string;
  /** "before <what>" in the table. */
  what: string;
  /** Environment of the "after" gateway only, given the temporary directory. */
  afterEnv?: (dir: string) => Record<string, string>;
  /** The least ratio after/before of requests/s that meets the change's target, when it has one. */
  target?: number;
}

/** Runs the comparison and prints the table; exits 1 on failure. */
export function runBeforeAfter(o: BeforeAfter): void {
  main(o).catch((e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}

async function main(o: BeforeAfter): Promise<void> {
  const BASELINE = process.env.BENCH_BASELINE ?? o.baseline;
  const dir = mkdtempSync(path.join(tmpdir(), `broker-bench-${o.name}-`));
  const tree = path.join(dir, 'baseline');
  const children: ChildProcess[] = [];
  const dbs: { drop(): Promise<void> }[] = [];
  // interrupted: stop the processes and remove the worktree before leaving
  const interrupted = () => {
    for (const c of children) c.kill('SIGKILL');
    removeBaseline(dir, tree);
    process.exit(130);
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT }).toString().trim();
    const commit = git('rev-parse', '--short', BASELINE);
    // what runs is the code (and the contracts it reads): an edited document does not make it another build
    const edited = git('status', '--porcelain', '--untracked-files=no', '--', 'apps', 'libs', 'contracts');
    const head = `${git('rev-parse', '--short', 'HEAD')}${edited ? ' with uncommitted changes' : ''}`;
    buildBaseline(tree, BASELINE);
    const trust = await makeTrustFixture(dir);
    const apiKeyFile = path.join(dir, 'rcs-api-key');
    writeFileSync(apiKeyFile, randomBytes(32).toString('base64url'), { mode: 0o600 });
    const rnppPort = await freePort();
    const ccssPort = await freePort();
    const rcsPort = await freePort();
    children.push(start('apps/rnpp-simulator/src/main.js', { RNPP_PORT: rnppPort }));
    children.push(start('apps/ccss-simulator/src/main.js', { CCSS_PORT: ccssPort }));
    children.push(
      start('apps/rcs-simulator/src/main.js', { RCS_PORT: rcsPort, RCS_API_KEY_FILE: apiKeyFile }),
    );
    for (const p of [rnppPort, ccssPort, rcsPort]) await waitFor(`http://127.0.0.1:${p}/health`);

    const gateways = {} as Record<Build, { url: string; pid: number }>;
    for (const build of ['before', 'after'] as const) {
      const db = await createTestDatabase(`broker_bench_${o.name.replace(/\W/g, '_')}_${build}`);
      dbs.push(db);
      const port = await freePort();
      const env = gatewayEnv(
        { trustFile: trust.file, databaseUrl: db.url, rnppPort, gatewayPort: port },
        {
          CCSS_URL: `http://127.0.0.1:${ccssPort}`,
          RCS_URL: `http://127.0.0.1:${rcsPort}`,
          RCS_API_KEY_FILE: apiKeyFile,
          ...(build === 'after' ? (o.afterEnv?.(dir) ?? {}) : {}),
        },
      );
      const prof = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF, build)}`] : [];
      const dist = build === 'before' ? path.join(tree, 'dist') : undefined;
      const gateway = start('apps/gateway/src/main.js', env, prof, dist);
      children.push(gateway);
      await waitFor(`http://127.0.0.1:${port}/health/ready`);
      gateways[build] = { url: `http://127.0.0.1:${port}/graphql`, pid: gateway.pid! };
    }

    const [subject] = await listPersons(rnppPort, 1);
    const consent = await memberOneConsent(trust, subject, ['name', 'birth'], { lifetimeS: 3600 });
    const body = JSON.stringify({ query: QUERY, variables: { m: subject } });
    const ok = (t: string): boolean => t.includes('"birthDate"') && !t.includes('"errors"');
    // a new assertion for each load: it lives 300 s at most
    const headers = async () => memberHeaders(await memberOneAssertion(trust), consent);

    /**
     * One load of one gateway, with the gateway's CPU time per answered request: a figure that
     * the other processes on the machine disturb much less than requests/s.
     */
    const load = async (build: Build, o: typeof LOAD): Promise<Run> => {
      const cpu0 = cpuSeconds(gateways[build].pid);
      const r = await httpLoad(gateways[build].url, await headers(), body, ok, o);
      return { ...r, cpuMsPerRequest: ((cpuSeconds(gateways[build].pid) - cpu0) * 1000) / r.requests };
    };
    // warm-up (not counted): JIT, connection pools, the consent ledger's first write
    for (const build of ['before', 'after'] as const) await load(build, WARMUP);
    const runs: Record<Build, Run[]> = { before: [], after: [] };
    for (let round = 0; round < ROUNDS; round++) {
      const order: Build[] = round % 2 ? ['after', 'before'] : ['before', 'after'];
      for (const build of order) runs[build].push(await load(build, LOAD));
      const r = (b: Build) =>
        `${runs[b][round].rps.toFixed(0)} req/s, ${runs[b][round].cpuMsPerRequest.toFixed(2)} CPU ms/req`;
      process.stderr.write(`round ${round + 1}/${ROUNDS}: before ${r('before')}; after ${r('after')}\n`);
    }
    // SIGTERM and wait: --cpu-prof writes its profile when the process exits
    for (const c of children.splice(0).reverse()) await stop(c);

    const summary = (rs: Run[]) => ({
      rps: median(rs.map((r) => r.rps)),
      cpuMsPerRequest: median(rs.map((r) => r.cpuMsPerRequest)),
      p50: median(rs.map((r) => r.p50)),
      p99: median(rs.map((r) => r.p99)),
      errors: rs.reduce((a, r) => a + r.errors + r.non2xx, 0),
    });
    const before = summary(runs.before);
    const after = summary(runs.after);
    const ratio = after.rps / before.rps;
    const roundRatios = runs.after.map((r, i) => r.rps / runs.before[i].rps);
    const cpuRatio = after.cpuMsPerRequest / before.cpuMsPerRequest;
    const cpuRoundRatios = runs.after.map((r, i) => r.cpuMsPerRequest / runs.before[i].cpuMsPerRequest);
    saveResult(o.name, {
      date: new Date().toISOString(),
      machine: machine(),
      baseline: commit,
      head,
      settings: { rounds: ROUNDS, ...LOAD },
      before,
      after,
      ratio,
      roundRatios,
      cpuRatio,
      cpuRoundRatios,
      runs,
    });
    const f = (n: number, d = 0) => n.toFixed(d);
    const spread = (xs: number[]) =>
      `median ${f(median(xs), 3)}, quartiles ${f(percentile(xs, 25), 2)}-${f(percentile(xs, 75), 2)} (${xs.map((x) => f(x, 2)).join(', ')})`;
    process.stdout.write(
      [
        `| RNPP-only \`person { surname birthDate }\`, ${LOAD.connections} connections, ${LOAD.durationS} s x ${ROUNDS} rounds, medians | requests/s | gateway CPU ms per request | p50 ms | p99 ms | errors |`,
        '|---|---|---|---|---|---|',
        `| before ${o.what} (${commit}) | ${f(before.rps)} | ${f(before.cpuMsPerRequest, 2)} | ${f(before.p50, 1)} | ${f(before.p99, 1)} | ${before.errors} |`,
        `| after (${head}) | ${f(after.rps)} | ${f(after.cpuMsPerRequest, 2)} | ${f(after.p50, 1)} | ${f(after.p99, 1)} | ${after.errors} |`,
        `| ratio after / before | ${f(ratio, 3)} | ${f(cpuRatio, 3)} | | | |`,
        '',
        `Per round, after / before: requests/s ${spread(roundRatios)}; CPU ms per request ${spread(cpuRoundRatios)}.`,
        ...(o.target === undefined
          ? []
          : [
              `Target: ${o.what} costs at most ${Math.round((1 - o.target) * 100)} % of the throughput (ratio ≥ ${o.target}): ${ratio >= o.target ? 'met' : 'NOT met'}.`,
            ]),
        '',
      ].join('\n'),
    );
  } finally {
    await Promise.all(children.map(stop));
    for (const db of dbs) await db.drop().catch(() => undefined);
    removeBaseline(dir, tree);
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
  }
}
