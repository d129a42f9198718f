import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type JWTPayload } from 'jose';
import { GENESIS_HASH, sealEntries, type AccessEntry, type NewAccessEntry } from '@broker/access-log';
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
  CSV_COLUMNS,
  CSV_COLUMNS_V1,
  CSV_COLUMNS_V3,
  csvHeader,
  csvRecord,
  exportLine,
  lineDocument,
  lineHash,
  type CheckpointRef,
  type ExportFilter,
  type ExportFormat,
  type ExportLine,
  type ManifestClaims,
} from './export-format';
import { MAX_PROBLEMS, formatReport, verifyExport, type ExportVerifyReport } from './export-verifier';
import { MAX_HEADER_BYTES, MAX_LINE_BYTES } from './line-limits';

const BROKER = 'lu.broker.test';
const KID = 'broker-es-1';

interface TestKey {
  kid: string;
  alg: 'ES256' | 'EdDSA' | 'Ed25519';
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  publicJwk: JWK;
}

async function makeKey(kid: string, alg: TestKey['alg'] = 'ES256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, use: 'sig' } };
}

function newEntry(i: number): NewAccessEntry {
  const member = i % 3 === 0 ? 'cnap' : 'ccss';
  const e: NewAccessEntry = {
    occurredAt: new Date(Date.UTC(2026, 0, 15, 9, 30, i, 4)),
    channel: 'sync',
    memberId: member,
    purpose: `${member}.affiliation`,
    consentIssuer: 'myguichet',
    consentJti: `jti-${i}`,
    subject: '1980010112345',
    itemsRequested: ['name', 'birth'],
    itemsDisclosed: ['name', 'birth'],
    outcome: 'DISCLOSED',
    reasonCode: null,
    source: 'rnpp',
    correlationId: `corr-${i}`,
    jobId: null,
  };
  // A few entries with what CSV has to quote, and the other shapes an entry can take.
  if (i === 5) e.correlationId = 'corr-5\r\nsecond line';
  if (i === 7) Object.assign(e, { outcome: 'REFUSED', itemsDisclosed: [], reasonCode: 'SCOPE_NOT_GRANTED' });
  if (i === 9) Object.assign(e, { purpose: null, consentIssuer: null, consentJti: null, subject: null });
  if (i === 10) e.correlationId = 'corr,"10"';
  if (i === 12) {
    Object.assign(e, {
      channel: 'audit',
      memberId: 'auditor:a1',
      purpose: 'AUDIT-EXPORT',
      consentIssuer: null,
      consentJti: null,
      subject: null,
      itemsRequested: [],
      itemsDisclosed: [],
      source: 'access-log',
      auditFilter: '{"format":"csv","headSeq":"11","memberId":"ccss"}',
    });
  }
  if (i === 20) Object.assign(e, { channel: 'async', jobId: 'job-20', itemsRequested: ['address'] });
  return e;
}

const CHAIN: AccessEntry[] = sealEntries(
  Array.from({ length: 30 }, (_, i) => newEntry(i + 1)),
  { seq: 0n, hash: GENESIS_HASH },
);
const LINES: ExportLine[] = CHAIN.map(exportLine);

/** An entry written since several sources: every item named with its source, failed items on partial answers. */
function multiSourceEntry(i: number): NewAccessEntry {
  const e: NewAccessEntry = {
    ...newEntry(i),
    itemsRequested: ['name', 'affiliation', 'businessRoles'],
    itemsDisclosed: ['name', 'affiliation', 'businessRoles'],
    itemSources: ['name:rnpp', 'affiliation:ccss', 'businessRoles:rcs'],
    source: 'rnpp+ccss+rcs',
  };
  // a partial answer: the CCSS failed, the others were disclosed
  if (i % 2 === 1)
    Object.assign(e, { itemsDisclosed: ['name', 'businessRoles'], itemsFailed: ['affiliation'] });
  if (i === 34) {
    Object.assign(e, {
      itemsRequested: ['affiliation', 'businessRoles'],
      itemsDisclosed: [],
      itemSources: ['affiliation:ccss', 'businessRoles:rcs'],
      itemsFailed: ['affiliation', 'businessRoles'],
      outcome: 'REFUSED',
      reasonCode: 'SOURCE_UNAVAILABLE',
      source: 'ccss+rcs',
    });
  }
  return e;
}

/** The chain above continued past the change: entries 31 to 36 come from several sources. */
const MIXED_CHAIN: AccessEntry[] = [
  ...CHAIN,
  ...sealEntries(
    Array.from({ length: 6 }, (_, i) => multiSourceEntry(31 + i)),
    { seq: BigInt(CHAIN.length), hash: CHAIN[CHAIN.length - 1].hash },
  ),
];
const MIXED_LINES: ExportLine[] = MIXED_CHAIN.map(exportLine);

function serialize(format: ExportFormat, lines: ExportLine[]): string {
  return format === 'csv'
    ? csvHeader() + lines.map(csvRecord).join('')
    : lines.map((l) => `${JSON.stringify(l)}\n`).join('');
}

/** The physical line where lines[i] starts once serialized (i = lines.length: the line after the last). */
function lineOf(format: ExportFormat, lines: ExportLine[], i: number): number {
  const before = serialize(format, lines.slice(0, i));
  return (before.match(/\r\n|\r|\n/g) ?? []).length + 1;
}

let dir: string;
let key: TestKey;
let otherKey: TestKey;
let jwks: { keys: JWK[] };

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'export-verifier-'));
  key = await makeKey(KID);
  otherKey = await makeKey('broker-es-2');
  jwks = { keys: [key.publicJwk] };
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

let fileNo = 0;
function writeExport(format: ExportFormat, content: string): string {
  const file = path.join(dir, `export-${++fileNo}.${format}`);
  writeFileSync(file, content);
  return file;
}

async function sign(payload: object, typ: string, k: TestKey = key, header: object = {}): Promise<string> {
  return new SignJWT(payload as JWTPayload)
    .setProtectedHeader({ alg: k.alg, typ, kid: k.kid, ...header })
    .sign(k.privateKey);
}

async function checkpointOf(seq: string, hash: string, k: TestKey = key): Promise<CheckpointRef> {
  const iat = Math.floor(Date.UTC(2026, 0, 15, 10) / 1000);
  const jws = await sign({ iss: BROKER, seq, hash, iat }, 'checkpoint+jwt', k);
  return { seq, hash, signedAt: new Date(iat * 1000).toISOString(), jws };
}

/** Manifest claims for `lines` as the export service computes them, cut at the last chain entry. */
async function claimsFor(
  format: ExportFormat,
  lines: ExportLine[],
  filter: ExportFilter = {},
  head: AccessEntry = CHAIN[CHAIN.length - 1],
): Promise<ManifestClaims> {
  const d = new ExportDigest();
  lines.forEach((l) => d.add(l));
  return {
    iss: BROKER,
    sub: 'auditor-1',
    iat: Math.floor(Date.UTC(2026, 0, 15, 10) / 1000),
    jti: `m-${format}`,
    format,
    filter,
    headSeq: head.seq,
    count: d.count,
    firstSeq: d.firstSeq,
    lastSeq: d.lastSeq,
    complete: d.complete,
    digest: d.hex(),
    checkpoint: await checkpointOf(head.seq, head.hash),
  };
}

async function manifestFor(
  format: ExportFormat,
  lines: ExportLine[],
  filter?: ExportFilter,
  head?: AccessEntry,
): Promise<string> {
  return sign(await claimsFor(format, lines, filter, head), 'audit-manifest+jwt');
}

async function verify(
  format: ExportFormat,
  content: string,
  manifestJws: string,
  keys: { keys: JWK[] } = jwks,
): Promise<ExportVerifyReport> {
  return verifyExport({ file: writeExport(format, content), manifestJws, jwks: keys });
}

const messages = (r: ExportVerifyReport): string[] => r.problems.map((p) => p.message);

describe.each(['ndjson', 'csv'] as const)('verifyExport (%s)', (format) => {
  let manifest: string;
  const at = (lines: ExportLine[], i: number): number => lineOf(format, lines, i);

  beforeAll(async () => {
    manifest = await manifestFor(format, LINES);
  });

  it('verifies the untouched export, anchored on the signed checkpoint', async () => {
    const r = await verify(format, serialize(format, LINES), manifest);
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ ok: true, format, lines: 30 });
    expect(r.manifest).toMatchObject({ count: 30, firstSeq: '1', lastSeq: '30', complete: true });
    expect(r.notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^complete export: every entry from seq 1 to seq 30/),
        'the last entry (seq 30) matches the checkpoint signed at 2026-01-15T10:00:00.000Z',
      ]),
    );
    expect(formatReport(r).split('\n')[0]).toBe(
      'OK: 30 entries verified (first seq 1, last seq 30, checkpoint seq 30)',
    );
  });

  it('names the line of a changed field, and only that line', async () => {
    const lines = LINES.map((l, i) => (i === 14 ? { ...l, memberId: 'someone-else' } : l));
    const r = await verify(format, serialize(format, lines), manifest);
    const n = at(lines, 14);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      { line: n, message: `line ${n}: content altered (hash mismatch at seq 15)` },
    ]);
    expect(formatReport(r).split('\n')[0]).toBe(
      `FAILED: line ${n}: content altered (hash mismatch at seq 15)`,
    );
  });

  it('catches a changed line whose hash was recomputed at the next link, and in the digest', async () => {
    const lines = LINES.map((l, i) => {
      if (i !== 14) return l;
      const forged: ExportLine = { ...l, outcome: 'REFUSED' };
      return { ...forged, hash: lineHash(forged) };
    });
    const r = await verify(format, serialize(format, lines), manifest);
    const [n15, n16] = [at(lines, 14), at(lines, 15)];
    expect(messages(r)[0]).toBe(
      `line ${n16}: chain link broken (prevHash of seq 16 does not match line ${n15})`,
    );
    expect(messages(r)).toContainEqual(expect.stringMatching(/^digest mismatch: /));
  });

  it('names the place of a deleted middle line', async () => {
    const lines = LINES.filter((_, i) => i !== 14);
    const r = await verify(format, serialize(format, lines), manifest);
    const n = at(lines, 14);
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toEqual({
      line: n,
      message: `line ${n}: entry missing before seq 16 (gap after seq 14)`,
    });
    const end = at(lines, 29);
    expect(messages(r)).toContain(`line ${end}: missing (the manifest counts 30 entries, the file has 29)`);
    expect(messages(r)).toContainEqual(expect.stringMatching(/^digest mismatch: /));
  });

  it('names a duplicated line', async () => {
    const lines = [...LINES.slice(0, 15), LINES[14], ...LINES.slice(15)];
    const r = await verify(format, serialize(format, lines), manifest);
    const n = at(lines, 15);
    expect(r.problems[0]).toEqual({
      line: n,
      message: `line ${n}: out of order or duplicated (seq 15 after seq 15)`,
    });
    const extra = at(lines, 30);
    expect(messages(r)).toContain(`line ${extra}: extra entry (file has 31 entries, manifest says 30)`);
  });

  it('names two swapped adjacent lines', async () => {
    const lines = [...LINES.slice(0, 14), LINES[15], LINES[14], ...LINES.slice(16)];
    const r = await verify(format, serialize(format, lines), manifest);
    const [a, b] = [at(lines, 14), at(lines, 15)];
    expect(messages(r).slice(0, 2)).toEqual([
      `line ${a}: entry missing before seq 16 (gap after seq 14)`,
      `line ${b}: out of order or duplicated (seq 15 after seq 16)`,
    ]);
    expect(messages(r)).toContainEqual(expect.stringMatching(/^digest mismatch: /));
  });

  it('catches a deleted last line by the count, the last seq and the digest', async () => {
    const lines = LINES.slice(0, 29);
    const r = await verify(format, serialize(format, lines), manifest);
    const n = at(lines, 29);
    expect(r.problems[0]).toEqual({
      line: n,
      message: `line ${n}: missing (the manifest counts 30 entries, the file has 29)`,
    });
    expect(messages(r)).toContain('last seq: file ends at seq 29, manifest says 30');
    expect(messages(r)).toContainEqual(expect.stringMatching(/^digest mismatch: /));
  });

  describe('a filtered export (complete: false)', () => {
    const filtered = LINES.filter((l) => l.memberId === 'ccss');
    let filteredManifest: string;

    beforeAll(async () => {
      filteredManifest = await manifestFor(format, filtered, { memberId: 'ccss' });
    });

    it('verifies with a note on its gaps and on the checkpoint it ends before', async () => {
      const r = await verify(format, serialize(format, filtered), filteredManifest);
      expect(r.problems).toEqual([]);
      expect(r.ok).toBe(true);
      expect(r.manifest?.complete).toBe(false);
      expect(r.notes).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^filtered export: 9 gaps, each entry verified on its own hash and prevHash/),
          'the export ends before the checkpoint at seq 30 (filtered export), so only the manifest signature anchors it',
        ]),
      );
    });

    it('still catches a deleted line, by count and digest', async () => {
      const lines = filtered.filter((_, i) => i !== 5);
      const r = await verify(format, serialize(format, lines), filteredManifest);
      expect(r.ok).toBe(false);
      const end = at(lines, lines.length);
      expect(messages(r)).toEqual([
        `line ${end}: missing (the manifest counts ${filtered.length} entries, the file has ${lines.length})`,
        expect.stringMatching(/^digest mismatch: /),
      ]);
    });

    it('still catches a changed field', async () => {
      const lines = filtered.map((l, i) => (i === 3 ? { ...l, subject: '1990010112345' } : l));
      const r = await verify(format, serialize(format, lines), filteredManifest);
      const n = at(lines, 3);
      expect(r.problems).toEqual([
        { line: n, message: `line ${n}: content altered (hash mismatch at seq ${String(lines[3].seq)})` },
      ]);
    });
  });

  it('fails the whole export when the manifest does not verify, but still checks the lines', async () => {
    const lines = LINES.map((l, i) => (i === 2 ? { ...l, subject: null } : l));
    const r = await verify(format, serialize(format, lines), manifest, { keys: [otherKey.publicJwk] });
    expect(r.ok).toBe(false);
    expect(r.manifest).toBeUndefined();
    expect(r.problems[0]).toEqual({
      line: null,
      message: `manifest signature does not verify with the given keys: no key with kid ${KID}`,
    });
    const n = at(lines, 2);
    expect(messages(r)).toContain(`line ${n}: content altered (hash mismatch at seq 3)`);
  });
});

describe('verifyExport: format-specific records', () => {
  it('names an NDJSON line that is not JSON, and skips blank lines', async () => {
    const text = serialize('ndjson', LINES).split('\n');
    text[9] = '{"v":1,"seq":"10",';
    text.splice(20, 0, '');
    const r = await verify('ndjson', text.join('\n'), await manifestFor('ndjson', LINES));
    expect(r.problems[0]).toEqual({ line: 10, message: 'line 10: not a valid record (not JSON)' });
    expect(r.lines).toBe(30);
  });

  it('verifies lines written otherwise (spaces, escapes, key order, CRLF, BOM, bad UTF-8) as before', async () => {
    // the fast path takes only JSON.stringify's own lines: every other one goes through JSON.parse
    const text = LINES.map((l) => JSON.stringify(l));
    text[2] = text[2].replace(/,"/g, ', "'); // spaces
    text[3] = JSON.stringify(Object.fromEntries(Object.entries(LINES[3]).reverse())); // another order
    text[6] = text[6].replace('"corr-', '"\\u0063orr-'); // an escape JSON.stringify would not write
    const manifest = await manifestFor('ndjson', LINES);
    const file = `\uFEFF${text.join('\r\n')}\r\n`;
    const r = await verify('ndjson', file, manifest);
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ ok: true, lines: 30 });
    expect(r.notes).toContain('the file starts with a byte-order mark, which was ignored');

    // the same changes named the same way on either path
    const altered = [...text];
    altered[2] = altered[2].replace(/"memberId":"[^"]*"/, '"memberId":"someone"');
    altered[3] = altered[3].replace(/"memberId":"[^"]*"/, '"memberId":"someone"');
    altered[8] = altered[8].replace(/"memberId":"[^"]*"/, '"memberId":"someone"');
    const r2 = await verify('ndjson', altered.join('\n'), manifest);
    expect(messages(r2)).toEqual([
      'line 3: content altered (hash mismatch at seq 3)',
      'line 4: content altered (hash mismatch at seq 4)',
      'line 9: content altered (hash mismatch at seq 9)',
    ]);

    // a byte that is not UTF-8 reads as U+FFFD, as it always did: the line no longer matches its hash
    const bytes = Buffer.from(text.join('\n'), 'utf8');
    const at = bytes.indexOf('corr-1"');
    bytes[at] = 0xff;
    const file3 = path.join(dir, `export-${++fileNo}.ndjson`);
    writeFileSync(file3, bytes);
    const r3 = await verifyExport({ file: file3, manifestJws: manifest, jwks });
    expect(messages(r3)).toEqual(['line 1: content altered (hash mismatch at seq 1)']);
  });

  it('reads an export longer than one read of the file, across its chunk boundaries', async () => {
    const chain = sealEntries(
      Array.from({ length: 4000 }, (_, i) => newEntry(i + 1)),
      { seq: 0n, hash: GENESIS_HASH },
    );
    const lines = chain.map(exportLine);
    const manifest = await sign(
      await claimsFor('ndjson', lines, {}, chain[chain.length - 1]),
      'audit-manifest+jwt',
    );
    const text = serialize('ndjson', lines);
    expect(text.length).toBeGreaterThan(2 * 1048576);
    const r = await verify('ndjson', text, manifest);
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ ok: true, lines: 4000 });
    // a line astride the first boundary, changed
    const boundary = text.lastIndexOf('\n', 1048576) + 1;
    const n = text.slice(0, boundary).split('\n').length; // the line that starts before 1 MiB and ends after
    const altered = lines.map((l, i) => (i === n - 1 ? { ...l, memberId: 'someone-else' } : l));
    const r2 = await verify('ndjson', serialize('ndjson', altered), manifest);
    expect(messages(r2)[0]).toBe(`line ${n}: content altered (hash mismatch at seq ${n})`);
  });

  it('names a CSV record with the wrong number of cells at its physical line', async () => {
    const records = LINES.map(csvRecord);
    records[19] = records[19].replace(/,[^,]*\r\n$/, '\r\n');
    const r = await verify('csv', csvHeader() + records.join(''), await manifestFor('csv', LINES));
    const n = lineOf('csv', LINES, 19);
    expect(n).toBe(22); // header, then record 5 spans two lines
    expect(r.problems[0]).toEqual({
      line: n,
      message: `line ${n}: not a valid record (22 cells, expected 23)`,
    });
  });

  it('refuses a CSV file whose header is not the expected one', async () => {
    const text = serialize('csv', LINES).replace(/^seq,occurredAt/, 'occurredAt,seq');
    const r = await verify('csv', text, await manifestFor('csv', LINES));
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toEqual({
      line: 1,
      message: expect.stringMatching(/^line 1: the header row is not seq,/),
    });
  });

  it('stops at an NDJSON line over 1 MiB and names it in a one-line verdict', async () => {
    const text = serialize('ndjson', LINES).split('\n');
    text[11] = `{"pad":"${'x'.repeat(MAX_LINE_BYTES)}"}`;
    const r = await verify('ndjson', text.join('\n'), await manifestFor('ndjson', LINES));
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toEqual({
      line: 12,
      message: `line 12: the line is longer than ${MAX_LINE_BYTES} bytes (the verifier's limit); the file was not read further`,
    });
    expect(r.problems).toHaveLength(1);
    expect(formatReport(r).split('\n')[0]).toBe(`FAILED: ${r.problems[0].message}`);
  });

  it('stops at a CSV record over 1 MiB, and at a header row over 4 KiB', async () => {
    const records = LINES.map(csvRecord);
    records[3] = `"${'x'.repeat(MAX_LINE_BYTES)}",1\r\n`;
    const r = await verify('csv', csvHeader() + records.join(''), await manifestFor('csv', LINES));
    expect(r.ok).toBe(false);
    expect(r.problems[0].message).toMatch(/^line 5: the record is longer than 1048576 bytes/);
    const header = `${'h'.repeat(MAX_HEADER_BYTES + 1)}\r\n`;
    const h = await verify('csv', header + LINES.map(csvRecord).join(''), await manifestFor('csv', LINES));
    expect(h.problems[0]).toEqual({
      line: 1,
      message: `line 1: the header row is longer than ${MAX_HEADER_BYTES} bytes (the verifier's limit); the file was not read further`,
    });
  });

  it('lists at most MAX_PROBLEMS problems and counts the rest', async () => {
    const lines = LINES.map((l) => ({ ...l, source: 'forged' }));
    const r = await verify('ndjson', serialize('ndjson', lines), await manifestFor('ndjson', LINES));
    expect(r.problems).toHaveLength(MAX_PROBLEMS);
    expect(r.notes).toContain('10 more problems were found and are not listed');
  });

  it('takes the format from the file name when there is no usable manifest', async () => {
    const r = await verify('csv', serialize('csv', LINES), 'not a jws');
    expect(r.format).toBe('csv');
    expect(r.ok).toBe(false);
    expect(r.lines).toBe(30);
    expect(messages(r)).toEqual([
      'manifest signature does not verify with the given keys: not a compact JWS (three base64url parts)',
    ]);
  });

  it('reports a file it cannot read', async () => {
    const r = await verifyExport({
      file: path.join(dir, 'absent.ndjson'),
      manifestJws: await manifestFor('ndjson', LINES),
      jwks,
    });
    expect(r.ok).toBe(false);
    expect(messages(r)[0]).toMatch(/^cannot read the export file: /);
  });

  it('checks that seq 1 links to the genesis hash', async () => {
    const forged = { ...LINES[0], prevHash: 'f'.repeat(64) };
    const lines = [{ ...forged, hash: lineHash(forged) }, ...LINES.slice(1)];
    const r = await verify('ndjson', serialize('ndjson', lines), await manifestFor('ndjson', lines));
    expect(messages(r)).toEqual([
      'line 1: chain link broken (prevHash of seq 1 is not the genesis hash)',
      'line 2: chain link broken (prevHash of seq 2 does not match line 1)',
    ]);
  });
});

describe('verifyExport: manifest and checkpoint signatures', () => {
  const content = serialize('ndjson', LINES);
  const SIG_FAIL = 'manifest signature does not verify with the given keys: ';
  const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');

  async function expectManifestRefused(jws: string, reason: string | RegExp, keys = jwks): Promise<void> {
    const r = await verify('ndjson', content, jws, keys);
    expect(r.ok).toBe(false);
    expect(r.manifest).toBeUndefined();
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0].line).toBeNull();
    if (typeof reason === 'string') expect(r.problems[0].message).toBe(SIG_FAIL + reason);
    else expect(r.problems[0].message.slice(SIG_FAIL.length)).toMatch(reason);
    expect(r.problems[0].message.startsWith(SIG_FAIL)).toBe(true);
  }

  it('refuses a manifest with one signature byte changed', async () => {
    const [h, p, s] = (await manifestFor('ndjson', LINES)).split('.');
    const sig = Buffer.from(s, 'base64url');
    sig[10] ^= 0x01;
    await expectManifestRefused(`${h}.${p}.${sig.toString('base64url')}`, 'bad signature');
  });

  it('refuses a manifest with a changed claim, and compares the file with it for information only', async () => {
    const [h, , s] = (await manifestFor('ndjson', LINES)).split('.');
    const claims = { ...(await claimsFor('ndjson', LINES)), count: 29 };
    const r = await verify('ndjson', content, `${h}.${b64(claims)}.${s}`);
    expect(r.ok).toBe(false);
    expect(messages(r)).toEqual([
      `${SIG_FAIL}bad signature`,
      'line 30: extra entry (file has 30 entries, manifest says 29)',
    ]);
    expect(r.notes).toContain(
      'the manifest claims were compared with the file for information only: they are not verified',
    );
  });

  it('refuses a manifest when the JWKS lacks its key', async () => {
    await expectManifestRefused(await manifestFor('ndjson', LINES), `no key with kid ${KID}`, {
      keys: [otherKey.publicJwk],
    });
    await expectManifestRefused(await manifestFor('ndjson', LINES), `no key with kid ${KID}`, { keys: [] });
  });

  it('refuses a manifest signed by another key under the same kid', async () => {
    const impostor = { ...otherKey, kid: KID };
    const jws = await sign(await claimsFor('ndjson', LINES), 'audit-manifest+jwt', impostor);
    await expectManifestRefused(jws, 'bad signature');
  });

  it('refuses alg HS256 (keyed with the public key) and alg none', async () => {
    const claims = await claimsFor('ndjson', LINES);
    const header = { alg: 'HS256', typ: 'audit-manifest+jwt', kid: KID };
    const input = `${b64(header)}.${b64(claims)}`;
    const mac = createHmac('sha256', JSON.stringify(key.publicJwk)).update(input).digest('base64url');
    await expectManifestRefused(`${input}.${mac}`, `alg HS256 is not allowed for key ${KID} (ES256)`);
    const none = `${b64({ ...header, alg: 'none' })}.${b64(claims)}.`;
    await expectManifestRefused(none, 'not a compact JWS (three base64url parts)');
    const noneWithSig = `${b64({ ...header, alg: 'none' })}.${b64(claims)}.AA`;
    await expectManifestRefused(noneWithSig, `alg none is not allowed for key ${KID} (ES256)`);
  });

  it('never uses a key carried in the header', async () => {
    const attacker = await makeKey('attacker');
    const claims = await claimsFor('ndjson', LINES);
    const embedded = await sign(claims, 'audit-manifest+jwt', attacker, { jwk: attacker.publicJwk });
    await expectManifestRefused(embedded, 'no key with kid attacker');
    const sameKid = await sign(
      claims,
      'audit-manifest+jwt',
      { ...attacker, kid: KID },
      { jwk: attacker.publicJwk },
    );
    await expectManifestRefused(sameKid, 'bad signature');
  });

  it('refuses an algorithm that does not fit the key type', async () => {
    const ed = await makeKey(KID, 'EdDSA');
    const jws = await sign(await claimsFor('ndjson', LINES), 'audit-manifest+jwt', ed);
    await expectManifestRefused(jws, `alg EdDSA is not allowed for key ${KID} (ES256)`);
  });

  it('refuses a token of another type as a manifest', async () => {
    const claims = await claimsFor('ndjson', LINES);
    await expectManifestRefused(
      await sign(claims, 'checkpoint+jwt'),
      'typ is checkpoint+jwt, expected audit-manifest+jwt',
    );
    await expectManifestRefused(claims.checkpoint!.jws, 'typ is checkpoint+jwt, expected audit-manifest+jwt');
    await expectManifestRefused(await sign(claims, 'JWT'), /^typ is JWT/);
  });

  it('refuses a manifest without a kid', async () => {
    const jws = await new SignJWT((await claimsFor('ndjson', LINES)) as unknown as JWTPayload)
      .setProtectedHeader({ alg: 'ES256', typ: 'audit-manifest+jwt' })
      .sign(key.privateKey);
    await expectManifestRefused(jws, 'no kid in the header');
  });

  it('refuses a signed manifest whose claims are not a manifest', async () => {
    const jws = await sign({ iss: BROKER, count: 'many' }, 'audit-manifest+jwt');
    const r = await verify('ndjson', content, jws);
    expect(r.ok).toBe(false);
    expect(messages(r)[0]).toMatch(/^manifest claims are not valid: /);
  });

  it.each(['EdDSA', 'Ed25519'] as const)('accepts an Ed25519 broker key with alg %s', async (alg) => {
    const ed = await makeKey('broker-ed-1', alg);
    const keys = { keys: [ed.publicJwk] };
    const head = CHAIN[29];
    const claims = {
      ...(await claimsFor('ndjson', LINES)),
      checkpoint: await checkpointOf(head.seq, head.hash, ed),
    };
    const r = await verify('ndjson', content, await sign(claims, 'audit-manifest+jwt', ed), keys);
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('fails when the checkpoint disagrees with the last line', async () => {
    const claims = {
      ...(await claimsFor('ndjson', LINES)),
      checkpoint: await checkpointOf('30', 'e'.repeat(64)),
    };
    const r = await verify('ndjson', content, await sign(claims, 'audit-manifest+jwt'));
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      { line: 30, message: 'line 30: last entry does not match the signed checkpoint' },
    ]);
  });

  it('fails when the manifest misquotes its checkpoint', async () => {
    const good = await claimsFor('ndjson', LINES);
    const claims = { ...good, checkpoint: { ...good.checkpoint!, hash: 'e'.repeat(64) } };
    const r = await verify('ndjson', content, await sign(claims, 'audit-manifest+jwt'));
    expect(r.ok).toBe(false);
    expect(messages(r)[0]).toMatch(/^checkpoint does not match the manifest: /);
  });

  it('fails when the checkpoint is not signed by a given key', async () => {
    const head = CHAIN[29];
    const claims = {
      ...(await claimsFor('ndjson', LINES)),
      checkpoint: await checkpointOf(head.seq, head.hash, { ...otherKey, kid: KID }),
    };
    const r = await verify('ndjson', content, await sign(claims, 'audit-manifest+jwt'));
    expect(messages(r)).toEqual(['checkpoint signature does not verify with the given keys: bad signature']);
  });

  it('refuses a manifest passed off as a checkpoint', async () => {
    const good = await claimsFor('ndjson', LINES);
    const fake = await sign(
      { iss: BROKER, seq: '30', hash: good.checkpoint!.hash, iat: 1 },
      'audit-manifest+jwt',
    );
    const claims = { ...good, checkpoint: { ...good.checkpoint!, jws: fake } };
    const r = await verify('ndjson', content, await sign(claims, 'audit-manifest+jwt'));
    expect(messages(r)).toEqual([
      'checkpoint signature does not verify with the given keys: typ is audit-manifest+jwt, expected checkpoint+jwt',
    ]);
  });
});

describe.each(['ndjson', 'csv'] as const)('verifyExport (%s): entries from several sources', (format) => {
  const head = MIXED_CHAIN[MIXED_CHAIN.length - 1];
  let manifest: string;
  const at = (lines: ExportLine[], i: number): number => lineOf(format, lines, i);
  /** MIXED_LINES with line `i` changed by `change` (its hash kept). */
  const altered = (i: number, change: (l: ExportLine) => ExportLine) =>
    MIXED_LINES.map((l, j) => (j === i ? change(l) : l));

  beforeAll(async () => {
    manifest = await manifestFor(format, MIXED_LINES, {}, head);
  });

  it('verifies an export of entries from before and after several sources', async () => {
    expect(MIXED_LINES[30]).toMatchObject({
      itemSources: ['name:rnpp', 'affiliation:ccss', 'businessRoles:rcs'],
      itemsFailed: ['affiliation'],
    });
    expect(MIXED_LINES[31].itemsFailed).toBeUndefined();
    const r = await verify(format, serialize(format, MIXED_LINES), manifest);
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ ok: true, format, lines: 36 });
  });

  it.each<[string, number, (l: ExportLine) => ExportLine]>([
    ['another failed item', 30, (l) => ({ ...l, itemsFailed: ['businessRoles'] })],
    ['no failed item left (a partial answer passed off as whole)', 30, ({ itemsFailed: _f, ...l }) => l],
    ['a failed item added', 31, (l) => ({ ...l, itemsFailed: ['affiliation'] })],
    [
      'an item moved to another source',
      31,
      (l) => ({ ...l, itemSources: ['name:rnpp', 'affiliation:rcs', 'businessRoles:rcs'] }),
    ],
  ])('names the line whose itemsFailed or itemSources was changed: %s', async (_what, i, change) => {
    const lines = altered(i, change);
    const r = await verify(format, serialize(format, lines), manifest);
    const n = at(lines, i);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      { line: n, message: `line ${n}: content altered (hash mismatch at seq ${i + 1})` },
    ]);
  });
});

describe('verifyExport: a CSV export made before several sources (no itemSources, itemsFailed columns)', () => {
  /** The CSV as the broker wrote it then: the first 19 columns (the three later ones are empty here, then leafIndex). */
  const v1Csv = (lines: ExportLine[]) =>
    `${CSV_COLUMNS_V1.join(',')}\r\n` +
    lines.map((l) => csvRecord(l).replace(/,,,,\d+\r\n$/, '\r\n')).join('');
  let manifest: string;

  beforeAll(async () => {
    manifest = await manifestFor('csv', LINES);
  });

  it('still verifies', async () => {
    expect(CSV_COLUMNS.slice(0, CSV_COLUMNS_V1.length)).toEqual([...CSV_COLUMNS_V1]);
    const text = v1Csv(LINES);
    expect(text.split('\r\n')[0]).not.toContain('itemSources');
    const r = await verify('csv', text, manifest);
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ ok: true, format: 'csv', lines: 30 });
  });

  it('still names the line of a changed field', async () => {
    const lines = LINES.map((l, i) => (i === 14 ? { ...l, memberId: 'someone-else' } : l));
    const r = await verify('csv', v1Csv(lines), manifest);
    const n = lineOf('csv', lines, 14);
    expect(r.problems).toEqual([
      { line: n, message: `line ${n}: content altered (hash mismatch at seq 15)` },
    ]);
  });

  it('counts the cells of its records against its own header', async () => {
    const text = v1Csv(LINES).replace(/^(seq,.*\r\n[^\r\n]*)\r\n/, '$1,,\r\n');
    const r = await verify('csv', text, manifest);
    expect(r.problems[0]).toEqual({ line: 2, message: 'line 2: not a valid record (21 cells, expected 19)' });
  });
});

describe('contracts', () => {
  const root = path.resolve(__dirname, '..', '..', '..');
  const schema = (name: string): object =>
    JSON.parse(readFileSync(path.join(root, 'contracts', name), 'utf8')) as object;
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  const lineSchema = ajv.compile(schema('audit-export-line.schema.json'));
  ajv.addSchema(schema('audit-manifest.schema.json'));
  const id = 'https://broker.example.lu/contracts/audit-manifest.schema.json';
  const manifestSchema = ajv.getSchema(id)!;
  const headerSchema = ajv.compile({ $ref: `${id}#/$defs/header` });
  const checkpointSchema = ajv.compile({ $ref: `${id}#/$defs/checkpointClaims` });

  it('describes every exported line', () => {
    for (const l of MIXED_LINES)
      expect({ ok: lineSchema(l), errors: lineSchema.errors }).toEqual({ ok: true, errors: null });
    expect(lineSchema({ ...LINES[0], extra: 1 })).toBe(false);
    expect(lineSchema({ ...LINES[0], seq: 1 })).toBe(false);
  });

  it('describes the manifest claims, its header and the checkpoint claims', async () => {
    const claims = await claimsFor('csv', LINES, { memberId: 'ccss', from: '2026-01-01T00:00:00.000Z' });
    expect({ ok: manifestSchema(claims), errors: manifestSchema.errors }).toEqual({ ok: true, errors: null });
    const [h, p] = claims.checkpoint!.jws.split('.');
    const decode = (s: string): unknown => JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    expect(checkpointSchema(decode(p))).toBe(true);
    expect(headerSchema(decode(h))).toBe(true);
    expect(headerSchema({ alg: 'HS256', typ: 'audit-manifest+jwt', kid: KID })).toBe(false);
    expect(manifestSchema({ ...claims, count: -1 })).toBe(false);
  });
});

describe('verifyExport: the transparency-log anchor', () => {
  const origin = BROKER;
  const logSigner = new Ed25519NoteSigner(origin, generateKeyPairSync('ed25519').privateKey);
  const witness = new Ed25519Cosigner('witness.test.lu/w1', generateKeyPairSync('ed25519').privateKey);
  const stranger = new Ed25519Cosigner('witness.test.lu/w1', generateKeyPairSync('ed25519').privateKey);
  const policy = (w: Ed25519Cosigner = witness): TlogProofPolicy => ({
    log: logSigner.vkey,
    witnesses: [w.vkey],
    quorum: 1,
  });
  // the log holds the 30 exported entries and 3 written after the cut (the auditor's own, say)
  const tree = new InMemoryMerkleTree();
  const SIZE = 33;
  let note: string;

  beforeAll(async () => {
    tree.appendData(LINES.map((l) => Buffer.from(lineDocument(l), 'utf8')));
    tree.appendData([1, 2, 3].map((i) => Buffer.from(`later entry ${i}`)));
    const text = formatCheckpoint({ origin, size: SIZE, rootHash: await tree.root() });
    note = signNote(text, [logSigner]) + witness.cosignatureLine(text);
  });

  async function anchoredManifest(
    format: ExportFormat,
    lines: ExportLine[],
    filter: ExportFilter = {},
    tlog?: ManifestClaims['tlog'],
  ): Promise<string> {
    const claims = await claimsFor(format, lines, filter);
    const indexes = lines.map((l) => Number(l.seq) - 1);
    claims.tlog = tlog ?? {
      checkpoint: note,
      size: SIZE,
      proof: (await multiInclusionProof(SIZE, indexes, tree.read)).map((h) => h.toString('base64')),
    };
    return sign(claims, 'audit-manifest+jwt');
  }

  const verifyTlog = (
    format: ExportFormat,
    content: string,
    manifestJws: string,
    tlog?: TlogProofPolicy,
  ): Promise<ExportVerifyReport> =>
    verifyExport({ file: writeExport(format, content), manifestJws, jwks, tlog });

  it.each(['ndjson', 'csv'] as const)(
    'recomputes the checkpoint root from a complete %s export, and checks the signatures with keys',
    async (format) => {
      const manifest = await anchoredManifest(format, LINES);
      const plain = await verifyTlog(format, serialize(format, LINES), manifest);
      expect(plain.problems).toEqual([]);
      expect(plain.tlog).toEqual({ anchored: true, size: SIZE, origin, signaturesChecked: false });
      expect(plain.notes).toContainEqual(
        expect.stringMatching(/signatures were not checked: pass --log-vkey and --witness-vkey/),
      );
      const keyed = await verifyTlog(format, serialize(format, LINES), manifest, policy());
      expect(keyed.problems).toEqual([]);
      expect(keyed.tlog).toMatchObject({
        anchored: true,
        signaturesChecked: true,
        witnesses: ['witness.test.lu/w1'],
      });
      expect(formatReport(keyed).split('\n')[0]).toBe(
        'OK: 30 entries verified (first seq 1, last seq 30, checkpoint seq 30); ' +
          'anchored in the transparency log at size 33, cosigned by witness.test.lu/w1',
      );
    },
  );

  it('verifies a filtered export with its multi-leaf proof', async () => {
    const filtered = LINES.filter((l) => l.memberId === 'ccss');
    const manifest = await anchoredManifest('ndjson', filtered, { memberId: 'ccss' });
    const r = await verifyTlog('ndjson', serialize('ndjson', filtered), manifest, policy());
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.notes).toContainEqual(
      expect.stringMatching(
        /^anchored in the transparency log: .* the lines are 20 of the 33 leaves of its tree$/,
      ),
    );
  });

  it('refuses an altered line: it is not in the log as witnessed', async () => {
    const manifest = await anchoredManifest('ndjson', LINES);
    // even with its hash recomputed, so that only the log and the links can tell
    const lines = LINES.map((l, i) => {
      if (i !== 29) return l;
      const forged: ExportLine = { ...l, outcome: 'REFUSED' };
      return { ...forged, hash: lineHash(forged) };
    });
    const r = await verifyTlog('ndjson', serialize('ndjson', lines), manifest, policy());
    expect(r.ok).toBe(false);
    expect(messages(r)).toContainEqual(
      expect.stringMatching(
        /^transparency log: the exported lines are not in the log as witnessed at size 33: /,
      ),
    );
    expect(r.tlog).toMatchObject({ anchored: false });
  });

  it('refuses a line without leafIndex, or with another one', async () => {
    const manifest = await anchoredManifest('ndjson', LINES);
    const without = LINES.map((l, i) => (i === 4 ? (({ leafIndex: _x, ...rest }) => rest)(l) : l));
    const r1 = await verifyTlog('ndjson', serialize('ndjson', without), manifest);
    const n = lineOf('ndjson', without, 4);
    expect(r1.problems).toEqual([
      {
        line: n,
        message: `line ${n}: no leafIndex (the manifest anchors the export in the transparency log)`,
      },
    ]);
    const shifted = LINES.map((l, i) => (i === 4 ? { ...l, leafIndex: 5 } : l));
    const r2 = await verifyTlog('ndjson', serialize('ndjson', shifted), manifest);
    expect(r2.problems).toEqual([{ line: n, message: `line ${n}: leafIndex 5 is not seq - 1 (4) at seq 5` }]);
  });

  it('refuses a checkpoint not cosigned by the trusted witness, or not signed by the log key', async () => {
    const manifest = await anchoredManifest('ndjson', LINES);
    const r = await verifyTlog('ndjson', serialize('ndjson', LINES), manifest, policy(stranger));
    expect(r.ok).toBe(false);
    expect(messages(r)).toEqual([
      expect.stringMatching(/^transparency log: checkpoint refused: .*\((BAD_SIGNATURE|QUORUM)\)$/),
    ]);
    const otherLog = new Ed25519NoteSigner(origin, generateKeyPairSync('ed25519').privateKey);
    const r2 = await verifyTlog('ndjson', serialize('ndjson', LINES), manifest, {
      ...policy(),
      log: otherLog.vkey,
    });
    expect(messages(r2)).toContainEqual(
      expect.stringMatching(/checkpoint refused: .*\((BAD_SIGNATURE|LOG_SIGNATURE)\)$/),
    );
  });

  it('refuses a forged proof hash', async () => {
    const claims = await claimsFor('ndjson', LINES.slice(0, 20));
    const proof = await multiInclusionProof(
      SIZE,
      LINES.slice(0, 20).map((_, i) => i),
      tree.read,
    );
    proof[0] = Buffer.alloc(32, 7);
    claims.tlog = { checkpoint: note, size: SIZE, proof: proof.map((h) => h.toString('base64')) };
    const r = await verifyTlog(
      'ndjson',
      serialize('ndjson', LINES.slice(0, 20)),
      await sign(claims, 'audit-manifest+jwt'),
    );
    expect(messages(r)).toEqual([
      expect.stringMatching(/^transparency log: the exported lines are not in the log as witnessed/),
    ]);
  });

  it('reports an export that is not anchored: a note without keys, a failure with them', async () => {
    const manifest = await anchoredManifest(
      'ndjson',
      LINES,
      {},
      {
        checkpoint: null,
        reason: 'no published (cosigned) checkpoint covered seq 30 within 10000 ms',
      },
    );
    const plain = await verifyTlog('ndjson', serialize('ndjson', LINES), manifest);
    expect(plain.ok).toBe(true);
    expect(plain.notes).toContain(
      'not anchored in the transparency log: no published (cosigned) checkpoint covered seq 30 within 10000 ms',
    );
    const keyed = await verifyTlog('ndjson', serialize('ndjson', LINES), manifest, policy());
    expect(keyed.ok).toBe(false);
    expect(messages(keyed)).toEqual([
      'not anchored in the transparency log: no published (cosigned) checkpoint covered seq 30 within 10000 ms',
    ]);
  });

  it('still verifies an export made before leaf indexes (no leafIndex, no tlog), in both formats', async () => {
    const old = LINES.map(({ leafIndex: _x, ...rest }) => rest);
    const manifest = await manifestFor('ndjson', old);
    const r = await verifyTlog('ndjson', serialize('ndjson', old), manifest);
    expect(r.problems).toEqual([]);
    expect(r.notes).toContain(
      'not anchored in the transparency log: the manifest predates the transparency log (no tlog anchor)',
    );
    const v3 =
      `${CSV_COLUMNS_V3.join(',')}\r\n` +
      LINES.map((l) => csvRecord(l).replace(/,\d+\r\n$/, '\r\n')).join('');
    const r2 = await verifyTlog('csv', v3, await manifestFor('csv', old));
    expect(r2.problems).toEqual([]);
    expect(r2.ok).toBe(true);
  });
});
