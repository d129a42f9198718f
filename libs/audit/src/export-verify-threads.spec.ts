import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload } from 'jose';
import { GENESIS_HASH, sealEntries, type NewAccessEntry } from '@broker/access-log';
import {
  Ed25519Cosigner,
  Ed25519NoteSigner,
  InMemoryMerkleTree,
  formatCheckpoint,
  multiInclusionProof,
  signNote,
  type TlogProofPolicy,
} from '@broker/transparency';
import {
  ExportDigest,
  exportLine,
  lineDocument,
  type ExportLine,
  type ManifestClaims,
} from './export-format';
import type { RangeResult } from './export-range-walk';
import { verifyExport, type ExportVerifyReport } from './export-verifier';
import { walkRangesInThreads } from './export-verify-threads';
import { MAX_LINE_BYTES } from './line-limits';

const ISSUER = 'lu.broker.test';
const KID = 'broker-es-1';
const ROWS = 160;

function newEntry(i: number): NewAccessEntry {
  return {
    occurredAt: new Date(Date.UTC(2026, 0, 15, 9, 30, i)),
    channel: i % 9 === 0 ? 'async' : 'sync',
    memberId: i % 3 === 0 ? 'cnap' : 'ccss',
    purpose: 'AFFILIATION',
    consentIssuer: 'myguichet',
    consentJti: `jti-${i}`,
    subject: '1980010112345',
    itemsRequested: ['name', 'birth'],
    itemsDisclosed: i % 10 === 0 ? [] : ['name', 'birth'],
    outcome: i % 10 === 0 ? 'REFUSED' : 'DISCLOSED',
    reasonCode: i % 10 === 0 ? 'SCOPE_NOT_GRANTED' : null,
    source: 'rnpp',
    // an escaped quote and accents: the lines that take the slow path in the workers too
    correlationId: i % 17 === 0 ? `corr-${i} "quoted" été` : `corr-${i}`,
    jobId: i % 9 === 0 ? `job-${i}` : null,
    salt: `salt-${i}`,
  };
}

const LINES: ExportLine[] = sealEntries(
  Array.from({ length: ROWS }, (_, i) => newEntry(i + 1)),
  { seq: 0n, hash: GENESIS_HASH },
).map(exportLine);
const text = (lines: ExportLine[]): string => lines.map((l) => `${JSON.stringify(l)}\n`).join('');

let dir: string;
let jwks: { keys: JWK[] };
let signManifest: (claims: ManifestClaims) => Promise<string>;
const logSigner = new Ed25519NoteSigner(ISSUER, generateKeyPairSync('ed25519').privateKey);
const witness = new Ed25519Cosigner('witness.test.lu/w1', generateKeyPairSync('ed25519').privateKey);
const policy: TlogProofPolicy = { log: logSigner.vkey, witnesses: [witness.vkey], quorum: 1 };
const tree = new InMemoryMerkleTree();
let checkpoint: ManifestClaims['checkpoint'];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'export-verify-threads-'));
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: KID, use: 'sig' }] };
  const sign = (payload: object, typ: string): Promise<string> =>
    new SignJWT(payload as JWTPayload).setProtectedHeader({ alg: 'ES256', typ, kid: KID }).sign(privateKey);
  signManifest = (claims) => sign(claims, 'audit-manifest+jwt');
  tree.appendData(LINES.map((l) => Buffer.from(lineDocument(l), 'utf8')));
  const head = LINES[LINES.length - 1];
  const checkpointJws = await sign(
    { iss: ISSUER, seq: head.seq, hash: head.hash, iat: 1768469400 },
    'checkpoint+jwt',
  );
  checkpoint = {
    seq: head.seq as string,
    hash: head.hash as string,
    signedAt: '2026-01-15T09:30:00.000Z',
    jws: checkpointJws,
  };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A signed manifest of `lines` as the exporter makes it, anchored in the log of all ROWS entries. */
async function manifestOf(lines: ExportLine[], complete: boolean): Promise<string> {
  const d = new ExportDigest();
  lines.forEach((l) => d.add(l));
  const note = formatCheckpoint({ origin: ISSUER, size: ROWS, rootHash: await tree.root() });
  const indexes = lines.map((l) => Number(l.seq) - 1);
  return signManifest({
    iss: ISSUER,
    sub: 'auditor-1',
    iat: 1768469400,
    jti: 'm-threads',
    format: 'ndjson',
    filter: complete ? {} : { memberId: 'ccss' },
    headSeq: String(ROWS),
    count: d.count,
    firstSeq: d.firstSeq,
    lastSeq: d.lastSeq,
    complete,
    digest: d.hex(),
    checkpoint,
    tlog: {
      checkpoint: signNote(note, [logSigner]) + witness.cosignatureLine(note),
      size: ROWS,
      proof: (await multiInclusionProof(ROWS, indexes, tree.read)).map((h) => h.toString('base64')),
    },
  });
}

let fileNo = 0;
function writeExport(content: string | Buffer): string {
  const file = path.join(dir, `export-${++fileNo}.ndjson`);
  writeFileSync(file, content);
  return file;
}

const inThreads = (file: string, manifestJws: string, rangeBytes: number): Promise<ExportVerifyReport> =>
  verifyExport({ file, manifestJws, jwks, tlog: policy, threads: 2, parallelFromBytes: 0, rangeBytes });
const onOneThread = (file: string, manifestJws: string): Promise<ExportVerifyReport> =>
  verifyExport({ file, manifestJws, jwks, tlog: policy, threads: 1 });

describe('verifyExport in worker threads', () => {
  it('names a tampered line of the second range by its line in the file', async () => {
    const content = text(LINES);
    const rangeBytes = 8 * 1024;
    // the first line that starts well inside the second range
    let at = 0;
    let line = 1;
    while (at < rangeBytes + 100) {
      at = content.indexOf('\n', at) + 1;
      line++;
    }
    const changed = LINES.map((l, i) => (i === line - 1 ? { ...l, purpose: 'SOMETHING-ELSE' } : l));
    const file = writeExport(text(changed));
    const manifest = await manifestOf(LINES, true);

    // the range's own numbering: the line is in the second range, after the lines of the first
    const ranges: RangeResult[] = [];
    const params = {
      checkpointSeq: null,
      checkpointHash: null,
      gapsAreProblems: true,
      leafIndexRequired: true,
      treeSize: ROWS,
      maxLineBytes: MAX_LINE_BYTES,
    };
    const plan = { threads: 2, rangeBytes };
    expect(
      await walkRangesInThreads(file, Buffer.byteLength(content), params, plan, (r) => ranges.push(r) > 0),
    ).toBe(true);
    expect(ranges[1].problems).toEqual([
      { kind: 'altered', line: line - ranges[0].lines, seq: String(line) },
    ]);

    const threaded = await inThreads(file, manifest, rangeBytes);
    expect(threaded.ok).toBe(false);
    expect(threaded.problems[0]).toEqual({
      line,
      message: `line ${line}: content altered (hash mismatch at seq ${line})`,
    });
    expect(threaded).toEqual(await onOneThread(file, manifest));
  });

  it('verifies an untouched export as one thread does', async () => {
    const file = writeExport(text(LINES));
    const manifest = await manifestOf(LINES, true);
    const threaded = await inThreads(file, manifest, 4096);
    expect(threaded.ok).toBe(true);
    expect(threaded.problems).toEqual([]);
    expect(threaded).toEqual(await onOneThread(file, manifest));
  });

  it('gives the report of one thread whatever was done to the file (property)', async () => {
    const serialized = LINES.map((l) => JSON.stringify(l));
    const change = fc.oneof(
      fc.record({ op: fc.constant('alter' as const), i: fc.nat(ROWS - 1) }),
      fc.record({ op: fc.constant('delete' as const), i: fc.nat(ROWS - 1) }),
      fc.record({ op: fc.constant('duplicate' as const), i: fc.nat(ROWS - 1) }),
      fc.record({ op: fc.constant('swap' as const), i: fc.nat(ROWS - 2) }),
      fc.record({ op: fc.constant('move' as const), i: fc.nat(ROWS - 1), j: fc.nat(ROWS - 1) }),
      fc.record({ op: fc.constant('blank' as const), i: fc.nat(ROWS - 1) }),
      fc.record({ op: fc.constant('garbage' as const), i: fc.nat(ROWS - 1) }),
      fc.record({ op: fc.constant('crlf' as const), i: fc.nat(ROWS - 1) }),
      fc.record({ op: fc.constant('spaces' as const), i: fc.nat(ROWS - 1) }),
      fc.record({ op: fc.constant('badUtf8' as const), i: fc.nat(ROWS - 1) }),
      fc.record({ op: fc.constant('leafIndex' as const), i: fc.nat(ROWS - 1) }),
      fc.record({ op: fc.constant('prevHash' as const), i: fc.nat(ROWS - 1) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(change, { maxLength: 3 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 300, max: 12_000 }),
        async (changes, filtered, noFinalLf, rangeBytes) => {
          const chosen = filtered ? LINES.filter((l) => l.memberId === 'ccss') : LINES;
          const lines: (string | Buffer)[] = filtered
            ? chosen.map((l) => JSON.stringify(l))
            : [...serialized];
          for (const c of changes) {
            const i = c.i % lines.length;
            const l = lines[i];
            const s = typeof l === 'string' ? l : l.toString('latin1');
            if (c.op === 'alter') lines[i] = s.replace('"purpose":"', '"purpose":"X');
            else if (c.op === 'delete') lines.splice(i, 1);
            else if (c.op === 'duplicate') lines.splice(i, 0, l);
            else if (c.op === 'swap' && i + 1 < lines.length) [lines[i], lines[i + 1]] = [lines[i + 1], l];
            else if (c.op === 'move') lines.splice(c.j % lines.length, 0, ...lines.splice(i, 1));
            else if (c.op === 'blank') lines.splice(i, 0, '');
            else if (c.op === 'garbage') lines.splice(i, 0, '{"not": "an entry"');
            else if (c.op === 'crlf') lines[i] = `${s}\r`;
            else if (c.op === 'spaces') lines[i] = s.replace('{', '{ ');
            else if (c.op === 'badUtf8')
              lines[i] = Buffer.concat([
                Buffer.from(s.slice(0, 20)),
                Buffer.from([0xff]),
                Buffer.from(s.slice(20)),
              ]);
            else if (c.op === 'leafIndex') lines[i] = s.replace(/"leafIndex":\d+/, '"leafIndex":7');
            else if (c.op === 'prevHash') lines[i] = s.replace(/"prevHash":"./, '"prevHash":"f');
          }
          const parts = lines.map((l) => (typeof l === 'string' ? Buffer.from(l) : l));
          const body = Buffer.concat(parts.flatMap((p) => [p, Buffer.from('\n')]));
          const file = writeExport(noFinalLf ? body.subarray(0, body.length - 1) : body);
          const manifest = await manifestOf(chosen, !filtered);
          expect(await inThreads(file, manifest, rangeBytes)).toEqual(await onOneThread(file, manifest));
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);
});
