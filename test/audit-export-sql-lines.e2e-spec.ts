/**
 * The export lines PostgreSQL writes (AccessLogRepository.exportChunk) are byte for byte the lines
 * the export format defines in TypeScript (JSON.stringify(exportLine(e)), csvRecord(exportLine(e))),
 * on entries chosen to be awkward: quotes, commas, CR/LF, backslashes, control characters,
 * non-ASCII, nulls, empty and non-empty optional arrays, audit filters, entries without salt; and
 * the chunks' hashes, keys and breaks agree with the entries, over several pages and a filter.
 */
import { createHash } from 'node:crypto';
import {
  AccessLogRepository,
  GENESIS_HASH,
  sealEntries,
  type AccessEntry,
  type ExportChunk,
  type NewAccessEntry,
} from '@broker/access-log';
import { ExportTally, csvRecord, exportLine } from '@broker/audit';
import { openDatabase } from '@broker/database';
import { createTestDatabase } from '@broker/testing';
import type { DataSource } from 'typeorm';

const AWKWARD = [
  'plain',
  'with "quotes"',
  'a,b',
  'line\nbreak',
  'cr\rlf\r\n',
  'back\\slash',
  'tab\tand\u0001\u001f\u007f',
  'é ü 日本 🙂',
  '|pipe|',
  '',
];

function entry(i: number): NewAccessEntry {
  const s = AWKWARD[i % AWKWARD.length];
  return {
    occurredAt: new Date(Date.UTC(2026, 0, 1) + i * 1237),
    channel: i % 4 === 3 ? 'audit' : 'sync',
    memberId: i % 3 ? 'ccss' : `m${s}`,
    purpose: i % 5 ? `P-${s}` : null,
    consentIssuer: i % 2 ? 'issuer' : null,
    consentJti: i % 2 ? `jti-${s}` : null,
    subject: i % 7 ? '1893120105732' : null,
    itemsRequested: i % 6 ? ['name', s, 'address'] : [],
    itemsDisclosed: i % 10 ? [s] : [],
    outcome: i % 10 ? 'DISCLOSED' : 'REFUSED',
    reasonCode: i % 10 ? null : 'SCOPE_NOT_GRANTED',
    source: i % 9 ? 'rnpp' : null,
    correlationId: `c-${i}-${s}`,
    jobId: i % 8 ? null : `job-${s}`,
    auditFilter: i % 4 === 3 ? JSON.stringify({ subject: s, headSeq: String(i) }) : undefined,
    itemSources: i % 3 === 1 ? [`name:${s}`, 'address:rnpp'] : undefined,
    itemsFailed: i % 5 === 2 ? [s] : undefined,
    salt: i % 11 === 4 ? undefined : `salt-${i}`,
  } as NewAccessEntry;
}

describe('export lines written by PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  let ds: DataSource;
  let repo: AccessLogRepository;
  let entries: AccessEntry[];

  beforeAll(async () => {
    db = await createTestDatabase('broker_sql_lines');
    ds = await openDatabase(db.url, { migrate: true, poolSize: 2 });
    repo = new AccessLogRepository(ds);
    await repo.ensurePartitions(new Date(Date.UTC(2026, 0, 1)), 1);
    entries = sealEntries(
      Array.from({ length: 157 }, (_, i) => entry(i)),
      { seq: 0n, hash: GENESIS_HASH },
    );
    const q = ds.createQueryRunner();
    await q.connect();
    await q.startTransaction();
    await repo.insertSealed(q, entries);
    await q.commitTransaction();
    await q.release();
  });

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  /** Every chunk of an export, pages of `limit`. */
  async function chunks(
    filter: Parameters<AccessLogRepository['exportChunk']>[0],
    format: 'ndjson' | 'csv' | null,
    limit: number,
    upTo = 157n,
  ): Promise<ExportChunk[]> {
    const out: ExportChunk[] = [];
    let after: { seq: bigint; occurredAt: string | null } = { seq: 0n, occurredAt: null };
    for (;;) {
      const c = await repo.exportChunk(filter, after, upTo, limit, format);
      if (!c) return out;
      out.push(c);
      if (c.count < limit) return out;
      after = { seq: BigInt(c.lastSeq), occurredAt: c.lastAt };
    }
  }

  it('writes NDJSON lines byte for byte as JSON.stringify(exportLine(entry))', async () => {
    const got = (await chunks({}, 'ndjson', 40)).map((c) => c.text).join('');
    const read = await repo.exportPage({}, { seq: 0n, occurredAt: null }, 157n, 1000);
    expect(read).toHaveLength(157);
    const want = read.map((e) => `${JSON.stringify(exportLine(e))}\n`).join('');
    expect(got).toBe(want);
  });

  it('writes CSV records byte for byte as csvRecord(exportLine(entry))', async () => {
    const got = (await chunks({}, 'csv', 33)).map((c) => c.text).join('');
    const read = await repo.exportPage({}, { seq: 0n, occurredAt: null }, 157n, 1000);
    expect(got).toBe(read.map((e) => csvRecord(exportLine(e))).join(''));
  });

  it('gives the hashes, counts, keys and breaks of each page; no text when none is asked for', async () => {
    const filter = { memberId: 'ccss' };
    const read = await repo.exportPage(filter, { seq: 0n, occurredAt: null }, 150n, 1000);
    const pages = await chunks(filter, null, 25, 150n);
    expect(pages.every((c) => c.text === '')).toBe(true);
    expect(pages.map((c) => c.count).reduce((a, b) => a + b)).toBe(read.length);
    expect(pages.map((c) => c.hashes).join('')).toBe(read.map((e) => `${e.hash}\n`).join(''));
    expect(pages[0].firstSeq).toBe(read[0].seq);
    expect(pages[pages.length - 1].lastSeq).toBe(read[read.length - 1].seq);
    // memberId ccss: i % 3 != 0, so seq 1 (i 0) is out and every third seq after it
    const breaks = pages.flatMap((c) => c.breaks);
    const want: [string, string][] = [];
    read.forEach((e, k) => {
      if (k > 0 && BigInt(e.seq) !== BigInt(read[k - 1].seq) + 1n) {
        // a break inside a page only: breaks across pages are the tally's to find
        const page = Math.floor(k / 25);
        if (Math.floor((k - 1) / 25) === page) want.push([read[k - 1].seq, e.seq]);
      }
    });
    expect(breaks).toEqual(want);

    // the tally over the chunks states what the old per-entry digest did
    const tally = new ExportTally();
    for (const c of pages) tally.add(c);
    const s = tally.finish();
    const h = createHash('sha256');
    for (const e of read) h.update(`${e.hash}\n`);
    expect(s).toMatchObject({
      count: read.length,
      firstSeq: read[0].seq,
      lastSeq: read[read.length - 1].seq,
      complete: false,
      digest: h.digest('hex'),
    });
    const leaves = s.runs!.flatMap(([a, b]) => {
      const out: string[] = [];
      for (let x = BigInt(a); x <= BigInt(b); x++) out.push(x.toString());
      return out;
    });
    expect(leaves).toEqual(read.map((e) => e.seq));
  });

  it('reads the same pages when the end of each page is found first (exportKeyAt, as parallel pages do)', async () => {
    const filter = { memberId: 'ccss' };
    const whole = (await chunks(filter, 'ndjson', 1000, 150n))[0];
    const pages: ExportChunk[] = [];
    let after: { seq: bigint; occurredAt: string | null } = { seq: 0n, occurredAt: null };
    for (;;) {
      const until = await repo.exportKeyAt(filter, after, 150n, 17);
      const c = await repo.exportChunk(filter, after, 150n, 17, 'ndjson', until ?? undefined);
      if (c) pages.push(c);
      if (!until) break;
      expect(c?.count).toBe(17);
      expect(c?.lastSeq).toBe(until.seq.toString());
      after = until;
    }
    expect(pages.map((c) => c.text).join('')).toBe(whole.text);
    expect(pages.map((c) => c.count).reduce((a, b) => a + b)).toBe(whole.count);
  });

  it('finds no page past the cut', async () => {
    expect(await repo.exportChunk({}, { seq: 157n, occurredAt: 'infinity' }, 157n, 10, 'ndjson')).toBeNull();
  });
});
