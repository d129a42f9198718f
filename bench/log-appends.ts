/**
 * `npm run bench:log`: the transparency log's append rate and integration delay (issue 12).
 *
 * Each phase runs over a fresh, migrated database on the local PostgreSQL:
 *  - N appender processes (1, 2, 4), each a child process running the real AccessLogAppender of
 *    libs/access-log (its own pool with the LOG_* defaults, group commit, the withdrawal check in
 *    each transaction, `synchronous_commit` as the server has it: on) with BENCH_LOG_CONCURRENCY
 *    (512) appends in flight each, one entry per append, for BENCH_LOG_S (6) seconds;
 *  - the real LogIntegrator of libs/log-tree in a process of its own (as in production, where every
 *    gateway runs one and one holds the lock), every LOG_INTEGRATE_INTERVAL_MS (200) ms, with a
 *    generated note key and quorum 0, or, in the "witness" phase, quorum 1 with one real witness
 *    process (apps/witness);
 *  - baseline, same run: the same appends with no integrator.
 * The appenders are not the GraphQL gateway: one gateway process answers about 700 requests/s on
 * this machine, so 25,000 entries/s can only be asked of the log itself; what is measured is the
 * gateway's own append path (libs/access-log), not HTTP or GraphQL.
 *
 * Reported per phase: entries/s committed (appends resolved, i.e. durable), the append latency,
 * and the integration delay of every entry: from its commit (the moment its append resolved in
 * its process) to the first poll (every BENCH_LOG_POLL_MS, 10 ms) that saw log_tree_head cover
 * it, and to the `published_at` of the first published checkpoint covering it. After the load the
 * integrator is given up to 10 s to catch up; entries not covered by then count as missing.
 * Phases alternate over BENCH_ROUNDS (2) rounds; medians over the rounds. The whole run stays
 * under about three minutes with the defaults.
 *
 * Profiling (BENCH_LOG_PROFILE=<dir>): one appender and the integrator run with --cpu-prof into
 * <dir>, and pg_stat_activity is sampled every 10 ms during the load: what the bench's sessions
 * were waiting for (a lock, the WAL flush, the client) or doing on the CPU. pg_stat_statements
 * is not used: it needs shared_preload_libraries, i.e. a restart of a shared server.
 *
 * Results: stdout (markdown) and bench/results/log-appends.json.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { request } from 'undici';
import type { DataSource } from 'typeorm';
import { DataSource as TypeOrmDataSource } from 'typeorm';
import { AccessLogAppender, AccessLogRepository, type NewAccessEntry } from '@broker/access-log';
import { ConsentStore } from '@broker/consent';
import { dataSourceOptions, openDatabase } from '@broker/database';
import { LogIntegrator, LogTreeRepository, WitnessClient } from '@broker/log-tree';
import { createTestDatabase, GRANTED_PURPOSE } from '@broker/testing';
import { Ed25519NoteSigner, parseVkey } from '@broker/transparency';
import { freePort, machine, median, percentile, saveResult, start, stop, waitFor } from './support';

const SECONDS = Number(process.env.BENCH_LOG_S ?? 6);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONCURRENCY = Number(process.env.BENCH_LOG_CONCURRENCY ?? 512);
const POLL_MS = Number(process.env.BENCH_LOG_POLL_MS ?? 10);
const INTERVAL_MS = Number(process.env.LOG_INTEGRATE_INTERVAL_MS ?? 200);
const PROFILE = process.env.BENCH_LOG_PROFILE;
const WITH_WITNESS = process.env.BENCH_LOG_WITNESS !== '0';
const ORIGIN = 'broker.bench.local/log';
/** The appender's pool: the LOG_* defaults of libs/config (LOG_POOL_SIZE 3 ...). */
const LOG_POOL = {
  poolSize: Number(process.env.LOG_POOL_SIZE ?? 3),
  statementTimeoutMs: 2000,
  idleInTransactionTimeoutMs: 10_000,
  queryTimeoutMs: 3000,
  connectTimeoutMs: 3000,
  keepAliveDelayMs: 10_000,
};

type Msg =
  | { kind: 'ready' }
  | { kind: 'go'; at: number; until: number }
  | { kind: 'done'; seqs: number[]; at: number[]; latencies: number[]; refused: number }
  | { kind: 'stop' }
  | { kind: 'stopped' };

/** Sends `m` to the parent; resolves once it is written (a process that exits at once would lose it). */
const send = (m: Msg): Promise<void> =>
  new Promise((resolve, reject) => process.send!(m, undefined, {}, (e) => (e ? reject(e) : resolve())));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A sync-channel disclosure, as the gateway logs a granted `person` query (with a consent: the withdrawal check runs). */
const entry = (proc: number, i: number): NewAccessEntry => ({
  occurredAt: new Date(),
  channel: 'sync',
  memberId: 'bench-member',
  purpose: GRANTED_PURPOSE,
  consentIssuer: 'bench-issuer',
  consentJti: `jti-${proc}-${i % 1000}`,
  subject: '1893120105732',
  itemsRequested: ['name', 'birth', 'address'],
  itemsDisclosed: ['name', 'birth', 'address'],
  outcome: 'DISCLOSED',
  reasonCode: null,
  source: 'rnpp',
  correlationId: `bench-${proc}-${i}`,
  jobId: null,
});

/** Child: one appender process. */
async function appenderProcess(): Promise<void> {
  const proc = Number(process.env.BENCH_PROC);
  const ds = new TypeOrmDataSource(
    dataSourceOptions(process.env.DATABASE_URL!, LOG_POOL, 'bench-log-appender'),
  );
  await ds.initialize();
  const main = await openDatabase(process.env.DATABASE_URL!, { migrate: false, poolSize: 2 });
  const appender = new AccessLogAppender(ds, new AccessLogRepository(main), new ConsentStore(main));
  // warm-up: the JIT, the pool's connections
  await Promise.all(Array.from({ length: 64 }, (_, i) => appender.append(entry(proc, -1 - i))));
  process.on('message', (m: Msg) => {
    if (m.kind !== 'go') return;
    void (async () => {
      await sleep(Math.max(0, m.at - Date.now()));
      const seqs: number[] = [];
      const at: number[] = [];
      const latencies: number[] = [];
      let refused = 0;
      let n = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (Date.now() < m.until) {
            const t0 = performance.now();
            try {
              const e = await appender.append(entry(proc, n++));
              const t1 = performance.now();
              seqs.push(Number(e.seq));
              at.push(performance.timeOrigin + t1);
              latencies.push(t1 - t0);
            } catch {
              refused++;
            }
          }
        }),
      );
      await send({ kind: 'done', seqs, at, latencies, refused });
      await ds.destroy();
      await main.destroy();
      process.exit(0);
    })();
  });
  await send({ kind: 'ready' });
}

/** Child: the integrator, as a gateway runs it. */
async function integratorProcess(): Promise<void> {
  const ds = await openDatabase(process.env.DATABASE_URL!, { migrate: false, poolSize: 4 });
  const signer = new Ed25519NoteSigner(ORIGIN, createPrivateKey(readFileSync(process.env.BENCH_NOTE_KEY!)));
  const witnesses = process.env.BENCH_WITNESS_URL
    ? [
        new WitnessClient(
          {
            name: parseVkey(process.env.BENCH_WITNESS_VKEY!).name,
            vkey: parseVkey(process.env.BENCH_WITNESS_VKEY!),
            url: process.env.BENCH_WITNESS_URL,
          },
          signer.vkey,
          3000,
        ),
      ]
    : [];
  const integrator = new LogIntegrator(
    ds,
    new LogTreeRepository(ds),
    new AccessLogRepository(ds),
    signer,
    witnesses,
    { origin: ORIGIN, intervalMs: INTERVAL_MS, quorum: witnesses.length },
  );
  integrator.start();
  process.on('message', (m: Msg) => {
    if (m.kind !== 'stop') return;
    void (async () => {
      await integrator.stop();
      await ds.destroy();
      await send({ kind: 'stopped' });
      process.exit(0);
    })();
  });
  await send({ kind: 'ready' });
}

function child(role: 'appender' | 'integrator', env: Record<string, string>, profile: boolean): ChildProcess {
  const execArgv = ['--disable-warning=ExperimentalWarning'];
  if (profile && PROFILE) execArgv.push('--cpu-prof', `--cpu-prof-dir=${path.resolve(PROFILE)}`);
  return fork(__filename, [role], {
    env: { ...process.env, ...env },
    execArgv,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
}

function next<T extends Msg['kind']>(c: ChildProcess, kind: T): Promise<Extract<Msg, { kind: T }>> {
  return new Promise((resolve, reject) => {
    const onMsg = (m: Msg) => {
      if (m.kind !== kind) return;
      c.off('message', onMsg).off('exit', onExit);
      resolve(m as Extract<Msg, { kind: T }>);
    };
    const onExit = (code: number | null) => reject(new Error(`child exited (${code}) before '${kind}'`));
    c.on('message', onMsg).once('exit', onExit);
  });
}

/** Resolves when `c` has exited. */
function exited(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => c.once('exit', () => resolve()));
}

interface Phase {
  name: string;
  appenders: number;
  integrator: boolean;
  witness: boolean;
}

interface PhaseResult {
  phase: string;
  entries: number;
  refused: number;
  seconds: number;
  perSecond: number;
  appendP50: number;
  appendP99: number;
  /** Commit to log_tree_head (ms); null without integrator. */
  integrated: { p50: number; p99: number; max: number; missing: number } | null;
  /** Commit to the published checkpoint (ms). */
  published: { p50: number; p99: number; max: number; missing: number } | null;
  checkpoints: number;
  /** pg_stat_activity samples of the bench's sessions by wait event (profiling only). */
  waits?: Record<string, number>;
}

/** For each commit time `at[i]` of seq `seqs[i]`: the delay until the first (time, size) with size ≥ seq. */
function delays(
  seqs: number[],
  at: number[],
  covered: { t: number; size: number }[],
): { p50: number; p99: number; max: number; missing: number } {
  const ds: number[] = [];
  let missing = 0;
  for (let i = 0; i < seqs.length; i++) {
    // binary search for the first covering sample (sizes never decrease)
    let lo = 0;
    let hi = covered.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (covered[mid].size >= seqs[i]) hi = mid;
      else lo = mid + 1;
    }
    if (lo === covered.length) missing++;
    else ds.push(Math.max(0, covered[lo].t - at[i]));
  }
  return {
    p50: percentile(ds, 50),
    p99: percentile(ds, 99),
    max: ds.length ? ds.reduce((a, b) => Math.max(a, b), -Infinity) : NaN,
    missing,
  };
}

async function runPhase(
  p: Phase,
  dir: string,
  round: number,
  witnessUrl?: string,
  witnessVkey?: string,
): Promise<PhaseResult> {
  const db = await createTestDatabase(`broker_bench_log_${p.name.replace(/\W/g, '_')}_${round}`);
  const admin: DataSource = await openDatabase(db.url, { migrate: true, poolSize: 2 });
  const children: ChildProcess[] = [];
  try {
    // the appenders get the current month's partition, as the gateway's PartitionKeeper makes it
    await new AccessLogRepository(admin).ensurePartitions(new Date(), 1);
    const noteKey = path.join(dir, 'note-key.pem');
    const env = { DATABASE_URL: db.url, BENCH_NOTE_KEY: noteKey };
    const profileFirst = round === 0 && p.name === 'integrator on, 4 appenders';
    let integrator: ChildProcess | undefined;
    if (p.integrator) {
      integrator = child(
        'integrator',
        p.witness ? { ...env, BENCH_WITNESS_URL: witnessUrl!, BENCH_WITNESS_VKEY: witnessVkey! } : env,
        profileFirst,
      );
      children.push(integrator);
      await next(integrator, 'ready');
    }
    const appenders = Array.from({ length: p.appenders }, (_, i) =>
      child('appender', { ...env, BENCH_PROC: String(i) }, profileFirst && i === 0),
    );
    children.push(...appenders);
    await Promise.all(appenders.map((c) => next(c, 'ready')));
    // let the integrator take the warm-up entries in
    await sleep(INTERVAL_MS * 2);
    const goAt = Date.now() + 100;
    const until = goAt + SECONDS * 1000;
    const dones = appenders.map((c) => next(c, 'done'));
    for (const c of appenders) c.send({ kind: 'go', at: goAt, until } satisfies Msg);

    // poll the tree head (and, when profiling, what the sessions wait for) until the load ends and
    // the integrator caught up (10 s at most)
    const covered: { t: number; size: number }[] = [];
    const waits: Record<string, number> = {};
    let finished = false;
    let target = Infinity;
    let failed: unknown;
    Promise.all(dones)
      .then(async () => {
        const rows: { seq: string }[] = await admin.query('SELECT seq FROM access_log_head WHERE id = 1');
        target = Number(rows[0].seq);
        finished = true;
      })
      .catch((e: unknown) => (failed = e));
    const stopPolling = until + 10_000;
    while (Date.now() < stopPolling) {
      if (failed) throw failed;
      const rows: { size: string }[] = await admin.query('SELECT size FROM log_tree_head WHERE id = 1');
      const t = Date.now();
      const size = Number(rows[0].size);
      if (!covered.length || covered[covered.length - 1].size !== size) covered.push({ t, size });
      if (PROFILE && t < until) {
        const acts: { w: string }[] = await admin.query(
          `SELECT coalesce(application_name, '') || ': ' || coalesce(wait_event_type || ':' || wait_event, 'CPU') || ' ' || state AS w
             FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`,
        );
        for (const a of acts) waits[a.w] = (waits[a.w] ?? 0) + 1;
      }
      if (finished && (!p.integrator || size >= target)) {
        if (!p.integrator) break;
        // and the published checkpoint
        const pub: { n: string }[] = await admin.query(
          'SELECT coalesce(max(size), 0) AS n FROM log_checkpoint WHERE published',
        );
        if (Number(pub[0].n) >= target) break;
      }
      await sleep(POLL_MS);
    }
    const results = await Promise.all(dones);
    const seqs = results.flatMap((r) => r.seqs);
    const at = results.flatMap((r) => r.at);
    const latencies = results.flatMap((r) => r.latencies);
    const refused = results.reduce((a, r) => a + r.refused, 0);
    const seconds = (at.reduce((a, b) => Math.max(a, b), -Infinity) - goAt) / 1000;
    let integrated: PhaseResult['integrated'] = null;
    let published: PhaseResult['published'] = null;
    const cps: { size: string; published_at: Date | null }[] = await admin.query(
      'SELECT size, published_at FROM log_checkpoint ORDER BY size',
    );
    if (p.integrator) {
      integrated = delays(seqs, at, covered);
      // published_at may not grow with size when a witness round answers late: keep the running minimum from the end
      const pubs = cps
        .filter((c) => c.published_at)
        .map((c) => ({ t: c.published_at!.getTime(), size: Number(c.size) }));
      for (let i = pubs.length - 2; i >= 0; i--) pubs[i].t = Math.min(pubs[i].t, pubs[i + 1].t);
      published = delays(seqs, at, pubs);
    }
    if (integrator) {
      integrator.send({ kind: 'stop' } satisfies Msg);
      await next(integrator, 'stopped');
    }
    return {
      phase: p.name,
      entries: seqs.length,
      refused,
      seconds,
      perSecond: seqs.length / seconds,
      appendP50: percentile(latencies, 50),
      appendP99: percentile(latencies, 99),
      integrated,
      published,
      checkpoints: cps.length,
      ...(PROFILE ? { waits } : {}),
    };
  } finally {
    // the children exit on their own after 'done' and 'stopped' (and write their --cpu-prof then): a
    // moment before SIGTERM
    await Promise.race([Promise.all(children.map(exited)), sleep(5000)]);
    await Promise.all(children.map(stop));
    await admin.destroy();
    await db.drop().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'broker-bench-log-'));
  const keyFile = path.join(dir, 'note-key.pem');
  writeFileSync(keyFile, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }), {
    mode: 0o600,
  });
  const signer = new Ed25519NoteSigner(ORIGIN, createPrivateKey(readFileSync(keyFile)));
  let witness: ChildProcess | undefined;
  try {
    let witnessUrl: string | undefined;
    let witnessVkey: string | undefined;
    if (WITH_WITNESS) {
      const port = await freePort();
      witness = start('apps/witness/src/main.js', {
        WITNESS_PORT: port,
        WITNESS_DATA_DIR: path.join(dir, 'witness'),
        WITNESS_KEY_FILE: path.join(dir, 'witness-key.pem'),
        WITNESS_LOGS: signer.vkey,
        WITNESS_LOG_LEVEL: 'error',
        BROKER_MODE: 'development',
      });
      witnessUrl = `http://127.0.0.1:${port}`;
      await waitFor(`${witnessUrl}/vkey`);
      const res = await request(`${witnessUrl}/vkey`);
      witnessVkey = (await res.body.text()).trim();
    }
    const phases: Phase[] = [
      { name: 'integrator off, 4 appenders', appenders: 4, integrator: false, witness: false },
      { name: 'integrator on, 1 appender', appenders: 1, integrator: true, witness: false },
      { name: 'integrator on, 2 appenders', appenders: 2, integrator: true, witness: false },
      { name: 'integrator on, 4 appenders', appenders: 4, integrator: true, witness: false },
      ...(WITH_WITNESS
        ? [{ name: 'integrator on + 1 witness, 4 appenders', appenders: 4, integrator: true, witness: true }]
        : []),
    ];
    const all: PhaseResult[][] = phases.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [...phases.keys()].reverse() : [...phases.keys()];
      for (const i of order) {
        // a fresh witness state per phase: each phase is a new log (a new database) for the same
        // origin; the witness keeps its key (outside its data directory)
        if (phases[i].witness && witness && round > 0) {
          await stop(witness);
          rmSync(path.join(dir, 'witness'), { recursive: true, force: true });
          witness = start('apps/witness/src/main.js', {
            WITNESS_PORT: new URL(witnessUrl!).port,
            WITNESS_DATA_DIR: path.join(dir, 'witness'),
            WITNESS_KEY_FILE: path.join(dir, 'witness-key.pem'),
            WITNESS_LOGS: signer.vkey,
            WITNESS_LOG_LEVEL: 'error',
            BROKER_MODE: 'development',
          });
          await waitFor(`${witnessUrl}/vkey`);
        }
        const r = await runPhase(phases[i], dir, round, witnessUrl, witnessVkey);
        all[i].push(r);
        const d = (x: PhaseResult['integrated']) =>
          x ? `${x.p50.toFixed(0)}/${x.p99.toFixed(0)} ms${x.missing ? ` (${x.missing} missing)` : ''}` : '-';
        process.stderr.write(
          `round ${round + 1}/${ROUNDS} ${r.phase}: ${r.perSecond.toFixed(0)} entries/s, append p50/p99 ${r.appendP50.toFixed(1)}/${r.appendP99.toFixed(1)} ms, integrated ${d(r.integrated)}, published ${d(r.published)}${r.refused ? `, ${r.refused} refused` : ''}\n`,
        );
        if (r.waits) process.stderr.write(`  pg_stat_activity samples: ${JSON.stringify(r.waits)}\n`);
      }
    }
    const med = (rs: PhaseResult[], f: (r: PhaseResult) => number | undefined) => {
      const xs = rs.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x));
      return xs.length ? median(xs) : NaN;
    };
    const summary = phases.map((p, i) => ({
      phase: p.name,
      perSecond: med(all[i], (r) => r.perSecond),
      appendP50: med(all[i], (r) => r.appendP50),
      appendP99: med(all[i], (r) => r.appendP99),
      integratedP50: med(all[i], (r) => r.integrated?.p50),
      integratedP99: med(all[i], (r) => r.integrated?.p99),
      integratedMax: med(all[i], (r) => r.integrated?.max),
      publishedP50: med(all[i], (r) => r.published?.p50),
      publishedP99: med(all[i], (r) => r.published?.p99),
      publishedMax: med(all[i], (r) => r.published?.max),
      missing: all[i].reduce((a, r) => a + (r.integrated?.missing ?? 0) + (r.published?.missing ?? 0), 0),
      refused: all[i].reduce((a, r) => a + r.refused, 0),
    }));
    const base = summary[0].perSecond;
    const four = summary.find((s) => s.phase === 'integrator on, 4 appenders')!;
    saveResult('log-appends', {
      date: new Date().toISOString(),
      machine: machine(),
      settings: {
        seconds: SECONDS,
        rounds: ROUNDS,
        concurrency: CONCURRENCY,
        pollMs: POLL_MS,
        intervalMs: INTERVAL_MS,
        logPool: LOG_POOL.poolSize,
      },
      summary,
      runs: all,
    });
    const f = (n: number, d = 0) => (Number.isFinite(n) ? n.toFixed(d) : '-');
    process.stdout.write(
      [
        `Appender processes running the real AccessLogAppender (not the GraphQL gateway: one gateway process answers under 1,000 requests/s here), ${CONCURRENCY} appends in flight each, ${SECONDS} s x ${ROUNDS} rounds, medians; integrator every ${INTERVAL_MS} ms in its own process; delays from each entry's commit, log_tree_head polled every ${POLL_MS} ms.`,
        '',
        '| phase | entries/s | vs integrator off | append p50 / p99 ms | in log_tree_head p50 / p99 / max ms | published checkpoint p50 / p99 / max ms | refused | not covered |',
        '|---|---|---|---|---|---|---|---|',
        ...summary.map(
          (s) =>
            `| ${s.phase} | ${f(s.perSecond)} | ${f(s.perSecond / base, 2)} | ${f(s.appendP50, 1)} / ${f(s.appendP99, 1)} | ${f(s.integratedP50)} / ${f(s.integratedP99)} / ${f(s.integratedMax)} | ${f(s.publishedP50)} / ${f(s.publishedP99)} / ${f(s.publishedMax)} | ${s.refused} | ${s.missing} |`,
        ),
        '',
        `Per round, entries/s: ${phases.map((p, i) => `${p.name}: ${all[i].map((r) => f(r.perSecond)).join(', ')}`).join('; ')}.`,
        `Target (4 processes, integrated and checkpointed, ≥ 25,000 entries/s): ${four.perSecond >= 25_000 ? 'met' : 'NOT met'} (${f(four.perSecond)}). Published within 2 s (p99): ${four.publishedP99 <= 2000 ? 'yes' : 'NO'}.`,
        '',
      ].join('\n'),
    );
  } finally {
    if (witness) await stop(witness);
    rmSync(dir, { recursive: true, force: true });
  }
}

const role = process.argv[2];
const run = role === 'appender' ? appenderProcess : role === 'integrator' ? integratorProcess : main;
run().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
