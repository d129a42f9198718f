/**
 * `npm run bench:browser-proof`: the size of a citizen's tlog-proof in a log of 10,000,000 entries,
 * and how long the citizen page's verifier (apps/citizen-web/public/assets/tlog-verify.js, WebCrypto)
 * takes to check it in headless Chromium, compared with the same module on Node's WebCrypto and
 * with @broker/transparency's verifyTlogProof (node:crypto, what the CLI runs).
 *
 * The proof is valid but synthetic: a real entry's leaf bytes (canonical document with its salt) at a
 * random index, random sibling hashes, the root computed from them with the library's
 * inclusionRoot, a checkpoint signed with a fresh note key and cosigned with a fresh witness key.
 * Times are the median (and p95) of BENCH_PROOF_RUNS runs (default 200) after 20 warm-up runs; the
 * first run (importing the keys) is reported apart. Chromium: CHROMIUM_PATH or /usr/bin/chromium.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { canonicalDocument, type NewAccessEntry } from '@broker/access-log';
import {
  Ed25519Cosigner,
  Ed25519NoteSigner,
  formatCheckpoint,
  formatTlogProof,
  inclusionRoot,
  leafHash,
  signNote,
  verifyTlogProof,
} from '@broker/transparency';
import { machine, median, percentile, saveResult } from './support';

const SIZE = 10_000_000;
const RUNS = Number(process.env.BENCH_PROOF_RUNS ?? 200);
const WARMUP = 20;
const ORIGIN = 'bench.broker.lu/access-log';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const MODULE_FILE = path.resolve(
  __dirname,
  '..',
  '..',
  'apps',
  'citizen-web',
  'public',
  'assets',
  'tlog-verify.js',
);

interface Trust {
  origin: string;
  logVkey: string;
  quorum: number;
  witnesses: { name: string; vkey: string }[];
}
interface Expected {
  id: string;
  occurredAt: string;
  outcome: string;
  memberId: string;
  consentJti: string | null;
}
interface Timings {
  first: number;
  runs: number[];
  ok: boolean;
  reason: string;
}

/** A valid proof of one entry at a random index of a log of SIZE entries. */
function syntheticProof(): { text: string; trust: Trust; expected: Expected; hashes: number; index: number } {
  const index = Math.floor(Math.random() * SIZE);
  const occurredAt = new Date();
  const entry: NewAccessEntry & { seq: string; prevHash: string } = {
    seq: String(index + 1),
    prevHash: randomBytes(32).toString('hex'),
    occurredAt,
    channel: 'sync',
    memberId: 'lu.ccss',
    purpose: 'benefit-eligibility',
    consentIssuer: 'lu.guichet',
    consentJti: '3f1c2d4e-0b6a-4e8f-9a51-7d2c9e1b5a40',
    subject: '1990010112345',
    itemsRequested: ['name', 'birth', 'address'],
    itemsDisclosed: ['name', 'birth', 'address'],
    outcome: 'DISCLOSED',
    reasonCode: null,
    source: 'rnpp',
    correlationId: 'b0e5c9d2-6f4a-4a57-8d1e-2c3b4a5d6e7f',
    jobId: null,
    salt: randomBytes(16).toString('base64url'),
  };
  const leaf = Buffer.from(canonicalDocument(entry), 'utf8');
  const hash = leafHash(leaf);
  // as many random siblings as the path of `index` in a tree of SIZE needs
  const hashes: Buffer[] = [];
  while (inclusionRoot(index, SIZE, hash, hashes) === null) hashes.push(randomBytes(32));
  const root = Buffer.from(inclusionRoot(index, SIZE, hash, hashes)!);
  const signer = new Ed25519NoteSigner(ORIGIN, generateKeyPairSync('ed25519').privateKey);
  const witness = new Ed25519Cosigner('witness.bench.lu/w1', generateKeyPairSync('ed25519').privateKey);
  const body = formatCheckpoint({ origin: ORIGIN, size: SIZE, rootHash: root });
  const checkpoint = signNote(body, [signer]) + witness.cosignatureLine(body);
  const text = formatTlogProof({ extra: leaf, index, hashes, checkpoint });
  return {
    text,
    index,
    hashes: hashes.length,
    trust: {
      origin: ORIGIN,
      logVkey: signer.vkey,
      quorum: 1,
      witnesses: [{ name: witness.name, vkey: witness.vkey }],
    },
    expected: {
      id: entry.seq,
      occurredAt: occurredAt.toISOString(),
      outcome: entry.outcome,
      memberId: entry.memberId,
      consentJti: entry.consentJti,
    },
  };
}

/** Serves the module and an empty page on 127.0.0.1 (a secure context), cross-origin isolated for fine timers. */
async function serve(): Promise<{ url: string; server: Server }> {
  const js = readFileSync(MODULE_FILE);
  const server = createServer((req, res) => {
    const headers = {
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    };
    if (req.url === '/tlog-verify.js') {
      res.writeHead(200, { ...headers, 'content-type': 'text/javascript' });
      return res.end(js);
    }
    res.writeHead(200, { ...headers, 'content-type': 'text/html' });
    // the module is imported by the page itself: a function given to page.evaluate is transpiled with
    // the bench, and swc would turn its import() into a require()
    res.end(
      '<!doctype html><title>bench</title><script type="module">' +
        "import * as m from '/tlog-verify.js'; window.tlogVerify = m;</script>",
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

// what runs in the page (and in Node): the module's verifier, timed
interface VerifierModule {
  verifyTlogProof(text: string, trust: Trust, expected: Expected): Promise<{ ok: boolean; reason: string }>;
}
interface Clock {
  now(): number;
}

async function timeModule(
  mod: VerifierModule,
  clock: Clock,
  args: { text: string; trust: Trust; expected: Expected; runs: number; warmup: number },
): Promise<Timings> {
  const t0 = clock.now();
  const first = await mod.verifyTlogProof(args.text, args.trust, args.expected);
  const firstMs = clock.now() - t0;
  for (let i = 0; i < args.warmup; i++) await mod.verifyTlogProof(args.text, args.trust, args.expected);
  const runs: number[] = [];
  for (let i = 0; i < args.runs; i++) {
    const start = clock.now();
    await mod.verifyTlogProof(args.text, args.trust, args.expected);
    runs.push(clock.now() - start);
  }
  return { first: firstMs, runs, ok: first.ok, reason: first.reason };
}

async function inChromium(args: {
  text: string;
  trust: Trust;
  expected: Expected;
}): Promise<Timings & { ua: string }> {
  const { url, server } = await serve();
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  try {
    const page = await browser.newPage();
    await page.goto(url);
    await page.waitForFunction(() => 'tlogVerify' in globalThis);
    return await page.evaluate(
      async ({ a, runs, warmup }) => {
        const g = globalThis as unknown as {
          navigator: { userAgent: string };
          performance: Clock;
          tlogVerify: VerifierModule;
        };
        const mod = g.tlogVerify;
        const t0 = g.performance.now();
        const first = await mod.verifyTlogProof(a.text, a.trust, a.expected);
        const firstMs = g.performance.now() - t0;
        for (let i = 0; i < warmup; i++) await mod.verifyTlogProof(a.text, a.trust, a.expected);
        const times: number[] = [];
        for (let i = 0; i < runs; i++) {
          const start = g.performance.now();
          await mod.verifyTlogProof(a.text, a.trust, a.expected);
          times.push(g.performance.now() - start);
        }
        return { first: firstMs, runs: times, ok: first.ok, reason: first.reason, ua: g.navigator.userAgent };
      },
      { a: args, runs: RUNS, warmup: WARMUP },
    );
  } finally {
    await browser.close();
    server.close();
  }
}

/** The page's ES module in Node (a data: URL: the repository is CommonJS; the module imports nothing). */
async function loadModuleInNode(): Promise<VerifierModule> {
  const source = readFileSync(MODULE_FILE).toString('base64');
  // a real dynamic import, not the require() swc would turn import() into
  const dynamicImport = new Function('u', 'return import(u)') as (u: string) => Promise<VerifierModule>;
  return dynamicImport(`data:text/javascript;base64,${source}`);
}

function timeLibrary(args: { text: string; trust: Trust }): Timings {
  const policy = { log: args.trust.logVkey, witnesses: args.trust.witnesses.map((w) => w.vkey), quorum: 1 };
  const t0 = performance.now();
  const first = verifyTlogProof(args.text, policy);
  const firstMs = performance.now() - t0;
  for (let i = 0; i < WARMUP; i++) verifyTlogProof(args.text, policy);
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = performance.now();
    verifyTlogProof(args.text, policy);
    runs.push(performance.now() - start);
  }
  return { first: firstMs, runs, ok: first.ok, reason: first.ok ? '' : first.reason };
}

const ms = (x: number): string => `${x.toFixed(3)} ms`;

async function main(): Promise<void> {
  const proof = syntheticProof();
  const bytes = Buffer.byteLength(proof.text, 'utf8');
  const extra = Buffer.from(proof.text.split('\n')[1].slice('extra '.length), 'base64').length;
  const checkpointBytes = Buffer.byteLength(proof.text.slice(proof.text.indexOf('\n\n') + 2), 'utf8');

  const library = timeLibrary(proof);
  const node = await timeModule(await loadModuleInNode(), performance, {
    ...proof,
    runs: RUNS,
    warmup: WARMUP,
  });
  const browser = await inChromium(proof);
  for (const [name, t] of [
    ['library', library],
    ['node', node],
    ['chromium', browser],
  ] as const) {
    if (!t.ok) throw new Error(`the synthetic proof did not verify in ${name}: ${t.reason}`);
  }

  const rows = [
    ['Chromium (headless), tlog-verify.js, WebCrypto', browser],
    ['Node, tlog-verify.js, WebCrypto', node],
    ['Node, @broker/transparency verifyTlogProof (CLI)', library],
  ] as const;
  console.log(`tlog-proof of entry ${proof.index + 1} in a log of ${SIZE.toLocaleString('en')} entries`);
  console.log(
    `size ${bytes} bytes: ${proof.hashes} inclusion hashes, leaf ${extra} bytes (base64 on the extra line), checkpoint with 2 signatures ${checkpointBytes} bytes`,
  );
  console.log(`${RUNS} runs after ${WARMUP} warm-up runs; ${machine()}; ${browser.ua}`);
  console.log('');
  console.log('| verifier | median | p95 | first run (key import) |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const [name, t] of rows) {
    console.log(`| ${name} | ${ms(median(t.runs))} | ${ms(percentile(t.runs, 95))} | ${ms(t.first)} |`);
  }
  saveResult('browser-proof', {
    size: SIZE,
    index: proof.index,
    proofBytes: bytes,
    inclusionHashes: proof.hashes,
    leafBytes: extra,
    checkpointBytes,
    runs: RUNS,
    warmup: WARMUP,
    machine: machine(),
    userAgent: browser.ua,
    results: Object.fromEntries(
      rows.map(([name, t]) => [
        name,
        { medianMs: median(t.runs), p95Ms: percentile(t.runs, 95), firstMs: t.first },
      ]),
    ),
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
