/**
 * `npm run bench:export`: exports of 100,000 and 1,000,000 access-log entries, NDJSON and CSV,
 * through the real gateway and the real CLI, with rows per second and the peak memory (VmHWM)
 * of the gateway and of the CLI process, then the offline verification of the 1M NDJSON export.
 * Flat memory means: the peak does not grow from 100k to 1M rows.
 *
 * Baseline in the same run ("disk speed"): PostgreSQL's own `COPY (SELECT row_to_json(...)) TO
 * STDOUT` of the same 1M rows through psql into a file, i.e. what the database alone costs.
 * BENCH_EXPORT_CPU_PROF=<dir> starts the gateway with --cpu-prof into <dir> (summarise it with
 * `node dist/bench/cpuprofile-summary.js <dir>/*.cpuprofile`). BENCH_EXPORT_ONLY=1m skips the
 * 100k runs.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { request } from 'undici';
import { AccessLogRepository, GENESIS_HASH, sealEntries, type NewAccessEntry } from '@broker/access-log';
import { loadOrCreateSigningKey } from '@broker/audit';
import { openDatabase } from '@broker/database';
import { createTestDatabase, makeTrustFixture, mintStaffToken } from '@broker/testing';

const TOTAL = Number(process.env.BENCH_EXPORT_ROWS ?? 1_000_000);
const SMALL = Math.min(100_000, TOTAL);
const DIST = path.resolve(__dirname, '..');
const NODE = [process.execPath, '--disable-warning=ExperimentalWarning'];
const BASE_TIME = Date.UTC(2026, 0, 1);
const CPU_PROF = process.env.BENCH_EXPORT_CPU_PROF;
const ONLY_FULL = process.env.BENCH_EXPORT_ONLY === '1m';

/** The baseline: PostgreSQL writes the same rows as JSON lines with COPY TO STDOUT, through psql, into `out`. */
function diskSpeed(url: string, out: string): Promise<number> {
  const started = Date.now();
  const sql = `\\copy (SELECT row_to_json(a) FROM access_log a ORDER BY seq) TO '${out}'`;
  return new Promise((resolve, reject) =>
    execFile('psql', [url, '-q', '-c', sql], (err, _o, stderr) =>
      err ? reject(new Error(`psql: ${stderr}`)) : resolve((Date.now() - started) / 1000),
    ),
  );
}

/** Resets the process's peak RSS (Linux: "5" to clear_refs), so that VmHWM is the peak of what comes next. */
function resetHwm(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Waits until the gateway's transparency-log integrator has taken in the seeded entries (not export work). */
async function integrated(url: string): Promise<number> {
  const started = Date.now();
  const ds = await openDatabase(url, { migrate: false, poolSize: 1 });
  try {
    for (;;) {
      const rows: { size: string }[] = await ds.query('SELECT size FROM log_tree_head WHERE id = 1');
      if (Number(rows[0]?.size ?? 0) >= TOTAL) return (Date.now() - started) / 1000;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await ds.destroy();
  }
}

function vmHwmKiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

async function seed(url: string): Promise<void> {
  const ds = await openDatabase(url, { migrate: true, poolSize: 2 });
  const repo = new AccessLogRepository(ds);
  // partitions for the seeded month(s), as the gateway would keep them
  await repo.ensurePartitions(new Date(BASE_TIME), 1);
  let head = { seq: 0n, hash: GENESIS_HASH };
  const BATCH = 3000;
  const started = Date.now();
  for (let done = 0; done < TOTAL; done += BATCH) {
    const batch: NewAccessEntry[] = [];
    for (let i = done; i < Math.min(TOTAL, done + BATCH); i++) {
      batch.push({
        occurredAt: new Date(BASE_TIME + i * 1000),
        channel: 'sync',
        memberId: i % 3 ? 'ccss' : 'cae',
        purpose: i % 3 ? 'SOCIAL-SECURITY-AFFILIATION' : 'FAMILY-ALLOWANCE',
        consentIssuer: 'myguichet-consent',
        consentJti: `jti-${i}`,
        subject: '1893120105732',
        itemsRequested: ['name', 'birth', 'address'],
        itemsDisclosed: i % 10 ? ['name', 'birth', 'address'] : [],
        outcome: i % 10 ? 'DISCLOSED' : 'REFUSED',
        reasonCode: i % 10 ? null : 'SCOPE_NOT_GRANTED',
        source: 'rnpp',
        correlationId: `bench-${i}`,
        jobId: null,
      });
    }
    const sealed = sealEntries(batch, head);
    const q = ds.createQueryRunner();
    await q.connect();
    await q.startTransaction();
    await repo.insertSealed(q, sealed);
    await q.commitTransaction();
    await q.release();
    const last = sealed[sealed.length - 1];
    head = { seq: BigInt(last.seq), hash: last.hash };
  }
  process.stderr.write(`seeded ${TOTAL} entries in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  await ds.destroy();
}

function timedCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ seconds: number; peakKiB: number; out: string }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile(
      '/usr/bin/time',
      ['-f', 'PEAK_KIB=%M', ...NODE, path.join(DIST, 'apps/cli/src/main.js'), ...args],
      { env, maxBuffer: 1 << 24 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`${args.join(' ')}: ${stderr.slice(-500)}`));
        const peak = Number(/PEAK_KIB=(\d+)/.exec(stderr)?.[1]);
        resolve({ seconds: (Date.now() - started) / 1000, peakKiB: peak, out: stdout });
      },
    );
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-export-'));
  const trust = await makeTrustFixture(dir);
  const keyFile = path.join(dir, 'broker-key.json');
  await loadOrCreateSigningKey(keyFile, 'development');
  const db = await createTestDatabase('broker_bench_export');
  let gateway: ChildProcess | undefined;
  try {
    await seed(db.url);
    const port = process.env.BENCH_EXPORT_PORT ?? '4311';
    const prof = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(CPU_PROF)}`] : [];
    gateway = spawn(NODE[0], [NODE[1], ...prof, path.join(DIST, 'apps/gateway/src/main.js')], {
      env: {
        ...process.env,
        GATEWAY_PORT: port,
        BROKER_MODE: 'development',
        METRICS_PORT: '0',
        DATABASE_URL: db.url,
        BROKER_TRUST_FILE: trust.file,
        BROKER_SIGNING_KEY_FILE: keyFile,
        RNPP_URL: 'http://127.0.0.1:9',
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        const r = await request(`${url}/health/live`);
        await r.body.dump();
        break;
      } catch {
        if (i > 200) throw new Error('gateway did not start');
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    const token = () =>
      mintStaffToken(trust.s1.key, trust.s1.id, trust.brokerId, 'bench-auditor', { lifetimeS: 300 });
    const waited = await integrated(db.url);
    process.stderr.write(
      `transparency log integrated the seeded entries after ${waited.toFixed(0)} s more\n`,
    );
    const gwBaseline = vmHwmKiB(gateway.pid as number);
    let perExport = false;
    const rows: string[] = [];
    const smallTo = new Date(BASE_TIME + SMALL * 1000).toISOString();
    const runs: [string, number, string[]][] = [
      ...(ONLY_FULL
        ? []
        : ([
            ['ndjson', SMALL, ['--to', smallTo]],
            ['csv', SMALL, ['--to', smallTo]],
          ] as [string, number, string[]][])),
      ['ndjson', TOTAL, []],
      ['csv', TOTAL, []],
    ];
    const copyFile = path.join(dir, 'copy.ndjson');
    const copyS = await diskSpeed(db.url, copyFile);
    const copyMiB = statSync(copyFile).size / 1048576;
    await rm(copyFile, { force: true });
    rows.push(
      `| baseline: psql COPY (row_to_json) TO file | ${TOTAL.toLocaleString('en')} | ${copyS.toFixed(1)} | ${Math.round(TOTAL / copyS).toLocaleString('en')} | ${copyMiB.toFixed(0)} | – | – |`,
    );
    let fullNdjson = '';
    for (const [format, n, filter] of runs) {
      const out = path.join(dir, `export-${n}.${format}`);
      perExport = resetHwm(gateway.pid as number);
      const r = await timedCli(
        [
          'audit',
          'export',
          '--url',
          url,
          '--token',
          await token(),
          ...filter,
          '--format',
          format,
          '--out',
          out,
        ],
        process.env,
      );
      const lines = format === 'csv' ? n + 1 : n;
      const size = statSync(out).size;
      rows.push(
        `| ${format} | ${n.toLocaleString('en')} | ${r.seconds.toFixed(1)} | ${Math.round(n / r.seconds).toLocaleString('en')} | ${(size / 1048576).toFixed(0)} | ${(vmHwmKiB(gateway.pid as number) / 1024).toFixed(0)} | ${(r.peakKiB / 1024).toFixed(0)} |`,
      );
      process.stderr.write(`${format} ${n}: ${r.seconds.toFixed(1)} s (${lines} lines)\n`);
      if (format === 'ndjson' && n === TOTAL) fullNdjson = out;
      else await rm(out, { force: true });
    }
    const v = await timedCli(['audit', 'verify', fullNdjson], process.env);
    process.stdout.write(
      [
        `| format | rows | seconds | rows/s | MiB written | gateway peak RSS MiB (${perExport ? 'VmHWM reset before each export' : 'cumulative VmHWM'}) | CLI peak RSS MiB |`,
        '|---|---|---|---|---|---|---|',
        ...rows,
        '',
        `gateway peak RSS before the exports (start-up and the integrator's catch-up of the seeded entries): ${(gwBaseline / 1024).toFixed(0)} MiB`,
        `offline verification of the ${TOTAL.toLocaleString('en')}-row NDJSON export: ${v.seconds.toFixed(1)} s, ${Math.round(TOTAL / v.seconds).toLocaleString('en')} rows/s, peak RSS ${(v.peakKiB / 1024).toFixed(0)} MiB; ${v.out.split('\n')[0]}`,
        '',
      ].join('\n'),
    );
  } finally {
    if (gateway && gateway.exitCode === null) {
      const exited = new Promise((r) => gateway?.once('exit', r));
      gateway.kill('SIGTERM');
      // --cpu-prof writes its profile when the process exits
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    }
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:export failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
