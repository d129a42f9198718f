/**
 * `npm run bench:verify`: offline `audit verify` of a 1,000,000-row NDJSON export (issue 13:
 * ≥ 500,000 rows/s), against "disk speed" measured in the same run: `sha256sum` of the file and a
 * plain Node read of it split into lines.
 *
 * The export is made once and cached under bench/results/verify-cache/ (gitignored): a real chain
 * (sealEntries), written by the library's own line writer (exportLine), a signed manifest and
 * checkpoint, and a transparency-log anchor (a cosigned checkpoint note of the tree of those
 * leaves). The CLI then runs as an auditor would, with --jwks, --log-vkey and --witness-vkey.
 * BENCH_VERIFY_ROWS changes the size, BENCH_VERIFY_RUNS the number of timed runs (default 2);
 * BENCH_VERIFY_BEFORE=path/to/dist/apps/cli/src/main.js also times another build of the CLI (an
 * older commit's) on the same file in the same run. Each run times the CLI twice: on one thread
 * (--threads 1, the baseline) and in worker threads (one per core), and ends with a micro-baseline
 * of SHA-256 alone over the same lines.
 *
 * Profile (one .cpuprofile per thread: the main thread and each worker):
 *   BENCH_VERIFY_RUNS=1 BENCH_VERIFY_NODE_ARGS="--cpu-prof --cpu-prof-dir=bench/profiles/verify" npm run bench:verify
 *   for f in bench/profiles/verify/*.cpuprofile; do node dist/bench/cpuprofile-summary.js "$f" 25; done
 */
import { execFile } from 'node:child_process';
import { createHash, generateKeyPairSync, hash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import * as path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, type JWTPayload } from 'jose';
import { GENESIS_HASH, newSalt, sealEntries, type NewAccessEntry } from '@broker/access-log';
import { ExportDigest, exportLine, lineDocument, type ManifestClaims } from '@broker/audit';
import {
  Ed25519Cosigner,
  Ed25519NoteSigner,
  MultiProofVerifier,
  formatCheckpoint,
  leafHash,
  signNote,
} from '@broker/transparency';

const ROWS = Number(process.env.BENCH_VERIFY_ROWS ?? 1_000_000);
const RUNS = Number(process.env.BENCH_VERIFY_RUNS ?? 2);
const DIST = path.resolve(__dirname, '..');
const CACHE = path.resolve(DIST, '..', 'bench', 'results', 'verify-cache');
const ISSUER = 'lu.broker.bench';
const BASE_TIME = Date.UTC(2026, 0, 1);

function entry(i: number): NewAccessEntry {
  const refused = i % 10 === 0;
  const several = i % 7 === 0;
  const e: NewAccessEntry = {
    occurredAt: new Date(BASE_TIME + i * 1000),
    channel: i % 50 === 0 ? 'async' : 'sync',
    memberId: i % 3 ? 'ccss' : 'cae',
    purpose: i % 3 ? 'SOCIAL-SECURITY-AFFILIATION' : 'FAMILY-ALLOWANCE',
    consentIssuer: 'myguichet-consent',
    consentJti: `jti-${i}`,
    subject: '1893120105732',
    itemsRequested: ['name', 'birth', 'address'],
    itemsDisclosed: refused ? [] : ['name', 'birth', 'address'],
    outcome: refused ? 'REFUSED' : 'DISCLOSED',
    reasonCode: refused ? 'SCOPE_NOT_GRANTED' : null,
    source: several ? 'rnpp+ccss' : 'rnpp',
    correlationId: i % 1000 === 0 ? `bench-${i} "quoted" \u00e9t\u00e9` : `bench-${i}`,
    jobId: i % 50 === 0 ? `job-${i}` : null,
    salt: newSalt(),
  };
  if (several) e.itemSources = ['name:rnpp', 'birth:rnpp', 'address:ccss'];
  return e;
}

async function sign(
  payload: object,
  typ: string,
  key: Parameters<SignJWT['sign']>[0],
  kid: string,
): Promise<string> {
  return new SignJWT(payload as JWTPayload).setProtectedHeader({ alg: 'ES256', typ, kid }).sign(key);
}

/** Writes the export, its manifest, the broker JWKS and the log's and witness's vkeys; once. */
async function makeExport(file: string): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const started = Date.now();
  const out = createWriteStream(`${file}.partial`);
  const digest = new ExportDigest();
  const tree = new MultiProofVerifier(ROWS, []);
  let head = { seq: 0n, hash: GENESIS_HASH };
  const BATCH = 5000;
  for (let done = 0; done < ROWS; done += BATCH) {
    const batch: NewAccessEntry[] = [];
    for (let i = done; i < Math.min(ROWS, done + BATCH); i++) batch.push(entry(i + 1));
    const sealed = sealEntries(batch, head);
    let text = '';
    for (const e of sealed) {
      const line = exportLine(e);
      digest.add(line);
      tree.push(Number(e.seq) - 1, leafHash(Buffer.from(lineDocument(line), 'utf8')));
      text += `${JSON.stringify(line)}\n`;
    }
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
    const last = sealed[sealed.length - 1];
    head = { seq: BigInt(last.seq), hash: last.hash };
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  const root = tree.root();
  if (!root.ok) throw new Error(root.reason);

  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = 'bench-broker-1';
  writeFileSync(
    `${file}.jwks.json`,
    JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'ES256' }] }),
  );
  const logSigner = new Ed25519NoteSigner(ISSUER, generateKeyPairSync('ed25519').privateKey);
  const witness = new Ed25519Cosigner('witness.bench/w1', generateKeyPairSync('ed25519').privateKey);
  writeFileSync(`${file}.log.vkey`, `${logSigner.vkey}\n`);
  writeFileSync(`${file}.witness.vkey`, `${witness.vkey}\n`);
  const text = formatCheckpoint({ origin: ISSUER, size: ROWS, rootHash: root.root });
  const iat = Math.floor(Date.now() / 1000);
  const headSeq = head.seq.toString();
  const claims: ManifestClaims = {
    iss: ISSUER,
    sub: 'bench-auditor',
    iat,
    jti: `bench-${ROWS}`,
    format: 'ndjson',
    filter: {},
    headSeq,
    count: digest.count,
    firstSeq: digest.firstSeq,
    lastSeq: digest.lastSeq,
    complete: digest.complete,
    digest: digest.hex(),
    checkpoint: {
      seq: headSeq,
      hash: head.hash,
      signedAt: new Date(iat * 1000).toISOString(),
      jws: await sign({ iss: ISSUER, seq: headSeq, hash: head.hash, iat }, 'checkpoint+jwt', privateKey, kid),
    },
    tlog: { checkpoint: signNote(text, [logSigner]) + witness.cosignatureLine(text), size: ROWS, proof: [] },
  };
  writeFileSync(`${file}.manifest.jws`, await sign(claims, 'audit-manifest+jwt', privateKey, kid));
  const { rename } = await import('node:fs/promises');
  await rename(`${file}.partial`, file);
  process.stderr.write(`made ${file} (${ROWS} rows) in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

function timed(
  cmd: string,
  args: string[],
): Promise<{ seconds: number; cpu: number; peakKiB: number; out: string }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    execFile(
      '/usr/bin/time',
      ['-f', 'PEAK_KIB=%M CPU=%U %S', cmd, ...args],
      { maxBuffer: 1 << 24 },
      (err, stdout, stderr) => {
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        const peak = Number(/PEAK_KIB=(\d+)/.exec(stderr)?.[1]);
        const [, user, sys] = /CPU=([\d.]+) ([\d.]+)/.exec(stderr) ?? [];
        const cpu = Number(user) + Number(sys);
        if (err && !stdout) return reject(new Error(`${cmd} ${args.join(' ')}: ${stderr.slice(-500)}`));
        resolve({ seconds, cpu, peakKiB: peak, out: stdout });
      },
    );
  });
}

/** "Disk speed" in Node: read the file and find every LF, nothing else. */
async function readAndSplit(file: string): Promise<{ seconds: number; lines: number }> {
  const started = process.hrtime.bigint();
  let lines = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, lines };
}

/**
 * What SHA-256 alone costs per row, on this machine, over the same bytes: each line hashed once
 * with crypto.createHash (the floor of any verifier that hashes every line), and three one-shot
 * crypto.hash per line (what the verifier computes per row: chain hash, leaf hash, about one
 * interior node of the tree), on one thread, the file read a MiB at a time. CPU time of this
 * thread (process.cpuUsage), so that a busy machine does not inflate it as it does wall time.
 */
async function hashBaseline(file: string): Promise<{ once: number; three: number }> {
  let once = 0;
  let three = 0;
  const cpu = (since: NodeJS.CpuUsage): number => {
    const u = process.cpuUsage(since);
    return (u.user + u.system) / 1e6;
  };
  const node = Buffer.alloc(65);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let t = process.cpuUsage();
    for (let s = 0, lf = chunk.indexOf(10); lf >= 0; s = lf + 1, lf = chunk.indexOf(10, s)) {
      createHash('sha256').update(chunk.subarray(s, lf)).digest();
    }
    once += cpu(t);
    t = process.cpuUsage();
    for (let s = 0, lf = chunk.indexOf(10); lf >= 0; s = lf + 1, lf = chunk.indexOf(10, s)) {
      const line = chunk.subarray(s, lf);
      hash('sha256', line, 'hex');
      hash('sha256', line, 'buffer');
      hash('sha256', node, 'buffer');
    }
    three += cpu(t);
  }
  return { once, three };
}

async function main(): Promise<void> {
  const file = path.join(CACHE, `export-${ROWS}.ndjson`);
  if (!existsSync(file)) await makeExport(file);
  const mib = statSync(file).size / 1048576;
  const rate = (s: number): string => Math.round(ROWS / s).toLocaleString('en');
  const rows: string[] = [];
  const sha = await timed('sha256sum', [file]);
  rows.push(
    `| sha256sum of the file | ${sha.seconds.toFixed(2)} | ${rate(sha.seconds)} | ${sha.cpu.toFixed(2)} | ${rate(sha.cpu)} | ${(sha.peakKiB / 1024).toFixed(0)} | |`,
  );
  const split = await readAndSplit(file);
  if (split.lines !== ROWS) throw new Error(`read ${split.lines} lines, expected ${ROWS}`);
  rows.push(
    `| Node read + split at LF (disk speed) | ${split.seconds.toFixed(2)} | ${rate(split.seconds)} | | | | |`,
  );
  const cli = [
    '--disable-warning=ExperimentalWarning',
    ...(process.env.BENCH_VERIFY_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    path.join(DIST, 'apps/cli/src/main.js'),
    'audit',
    'verify',
    file,
    '--jwks',
    `${file}.jwks.json`,
    '--log-vkey',
    `${file}.log.vkey`,
    '--witness-vkey',
    `${file}.witness.vkey`,
  ];
  const before = process.env.BENCH_VERIFY_BEFORE;
  if (before) {
    const v = await timed(
      process.execPath,
      cli.map((a) => (a.endsWith('apps/cli/src/main.js') ? before : a)),
    );
    if (!v.out.startsWith('OK:')) throw new Error(`the other CLI did not pass: ${v.out}`);
    rows.push(
      `| audit verify, before (${before}) | ${v.seconds.toFixed(2)} | ${rate(v.seconds)} | ${v.cpu.toFixed(2)} | ${rate(v.cpu)} | ${(v.peakKiB / 1024).toFixed(0)} | ${(split.seconds / v.seconds).toFixed(2)} |`,
    );
    process.stderr.write(`audit verify before: ${v.seconds.toFixed(2)} s\n`);
  }
  // the same CLI on one thread (--threads 1: the walk line by line) and in worker threads (the
  // default: one per core), alternately, so that both see the same machine
  const best: Record<string, number> = {};
  let verdict = '';
  for (let run = 1; run <= RUNS; run++) {
    for (const [label, extra] of [
      ['one thread (--threads 1)', ['--threads', '1']],
      [`worker threads (${availableParallelism()}, one per core)`, []],
    ] as const) {
      const v = await timed(process.execPath, [...cli, ...extra]);
      verdict = v.out.split('\n')[0];
      if (!verdict.startsWith('OK:')) throw new Error(`audit verify did not pass: ${v.out}`);
      best[label] = Math.min(best[label] ?? Infinity, v.seconds);
      rows.push(
        `| audit verify, ${label}, run ${run} | ${v.seconds.toFixed(2)} | ${rate(v.seconds)} | ${v.cpu.toFixed(2)} | ${rate(v.cpu)} | ${(v.peakKiB / 1024).toFixed(0)} | ${(split.seconds / v.seconds).toFixed(2)} |`,
      );
      process.stderr.write(`audit verify ${label} run ${run}: ${v.seconds.toFixed(2)} s\n`);
    }
  }
  const bests = Object.entries(best).map(([label, s]) => `${label} ${rate(s)} rows/s`);
  const hashed = await hashBaseline(file);
  rows.push(
    `| micro-baseline: crypto.createHash('sha256') over every line, one thread | | | ${hashed.once.toFixed(2)} | ${rate(hashed.once)} | | |`,
    `| micro-baseline: 3 one-shot crypto.hash per line (chain, leaf, one tree node), one thread | | | ${hashed.three.toFixed(2)} | ${rate(hashed.three)} | | |`,
  );
  process.stdout.write(
    [
      `offline verification of a ${ROWS.toLocaleString('en')}-row NDJSON export (${mib.toFixed(0)} MiB), ${process.env.BENCH_VERIFY_NODE_ARGS ?? ''}`,
      '',
      '| what | seconds | rows/s | CPU s (user + sys) | rows per CPU s | peak RSS MiB | ÷ disk speed (rows/s ratio) |',
      '|---|---|---|---|---|---|---|',
      ...rows,
      '',
      `best audit verify: ${bests.join('; ')} (target ≥ 500,000); load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} at the end; ${verdict}`,
      '',
    ].join('\n'),
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:verify failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
