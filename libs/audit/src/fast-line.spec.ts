import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { GENESIS_HASH, sealEntries, type NewAccessEntry } from '@broker/access-log';
import { exportLine, lineDocument, type ExportLine } from './export-format';
import { ndjsonEntry } from './export-readers';
import { fastLine, fastLineBytes, hashDocument } from './fast-line';

/** What the slow path (JSON.parse, lineDocument) makes of a line: its document and members, or why not. */
function slow(text: string): { document: string; value: ExportLine } | 'not JSON' | 'refused' {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'refused';
  try {
    return { document: lineDocument(value as ExportLine), value: value as ExportLine };
  } catch {
    return 'refused';
  }
}

const READ = ['v', 'seq', 'hash', 'prevHash', 'leafIndex'];

function expected(text: string): { value: ExportLine; document: string; hash: string; leaf: Buffer } {
  const s = slow(text);
  expect(typeof s).toBe('object');
  if (typeof s !== 'object') throw new Error(`the slow path says ${s}`);
  const value: ExportLine = {};
  for (const k of READ) if (k in s.value) value[k] = s.value[k];
  const hash = createHash('sha256').update(s.document, 'utf8').digest('hex');
  const leaf = createHash('sha256')
    .update(Buffer.from([0]))
    .update(s.document, 'utf8')
    .digest();
  return { value, document: s.document, hash, leaf };
}

/**
 * The fast paths agree with the slow one whenever they answer: on the text, and on its UTF-8
 * bytes against the slow path on what the reader decodes from them.
 */
function expectSameAsSlow(text: string): boolean {
  const bytes = Buffer.from(text, 'utf8');
  const fast = fastLineBytes(bytes, 0, bytes.length);
  const fastText = fastLine(text);
  if (fast) {
    const x = expected(bytes.toString('utf8'));
    expect(fast.value).toEqual(x.value);
    expect(fast.hashed.hash).toBe(x.hash);
    expect(fast.hashed.leaf.equals(x.leaf)).toBe(true);
  }
  if (fastText) {
    const x = expected(text);
    expect(fastText.document).toBe(x.document);
    expect(fastText.value).toEqual(x.value);
  }
  return fast !== undefined;
}

const oddString = fc.oneof(
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.string({
    unit: fc.constantFrom(
      '"',
      '\\',
      '\n',
      '\r',
      '\u0000',
      '\u001f',
      '\u2028',
      'é',
      '😀',
      '\ud800',
      ' ',
      '|',
      ',',
      '{',
      '}',
      '[',
      ']',
      ':',
      'a',
    ),
  }),
);

function entry(i: number, s: string, arrays: string[], optional: boolean): NewAccessEntry {
  return {
    occurredAt: new Date(Date.UTC(2026, 0, 1) + i * 1000),
    channel: 'sync',
    memberId: s,
    purpose: i % 2 ? null : s,
    consentIssuer: 'myguichet',
    consentJti: `jti-${s}`,
    subject: '1980010112345',
    itemsRequested: arrays as NewAccessEntry['itemsRequested'],
    itemsDisclosed: i % 3 ? [] : (arrays as NewAccessEntry['itemsDisclosed']),
    outcome: 'DISCLOSED',
    reasonCode: null,
    source: 'rnpp',
    correlationId: s,
    jobId: null,
    ...(optional
      ? {
          itemSources: arrays.map((a) => `${a}:rnpp`),
          itemsFailed: arrays as NewAccessEntry['itemsFailed'],
          salt: s,
          auditFilter: s,
        }
      : {}),
  };
}

describe('the NDJSON fast path', () => {
  it('is taken for the lines the exporter writes, and gives their chain and leaf hashes', () => {
    const sealed = sealEntries([entry(1, 'ccss', ['name', 'birth'], false), entry(2, 'cnap', [], true)], {
      seq: 0n,
      hash: GENESIS_HASH,
    });
    for (const e of sealed) {
      const text = JSON.stringify(exportLine(e));
      const bytes = Buffer.from(text, 'utf8');
      const fast = fastLineBytes(bytes, 0, bytes.length);
      expect(fast?.hashed.hash).toBe(e.hash);
      expect(fast?.value).toEqual({
        v: 1,
        seq: e.seq,
        hash: e.hash,
        prevHash: e.prevHash,
        leafIndex: Number(e.seq) - 1,
      });
      expect(hashDocument(lineDocument(exportLine(e)))).toEqual(fast?.hashed);
      expect(ndjsonEntry(1, text)).toEqual({ line: 1, value: fast?.value, hashed: fast?.hashed });
    }
  });

  it('agrees with JSON.parse + canonicalJson on exported lines with odd strings (property)', () => {
    let taken = 0;
    fc.assert(
      fc.property(
        fc.nat(1000),
        oddString,
        fc.array(oddString, { maxLength: 3 }),
        fc.boolean(),
        (i, s, arrays, optional) => {
          const [e] = sealEntries([entry(i, s, arrays, optional)], { seq: BigInt(i), hash: GENESIS_HASH });
          if (expectSameAsSlow(JSON.stringify(exportLine(e)))) taken++;
        },
      ),
      { numRuns: 500 },
    );
    // most of them are plain enough for the fast path
    expect(taken).toBeGreaterThan(50);
  });

  it('agrees with the slow path on lines re-ordered, re-spaced, with other values, or damaged (property)', () => {
    const value = fc.oneof(
      oddString,
      fc.integer(),
      fc.double(),
      fc.constantFrom(null, true, false, 0, -0, 1, 2 ** 53, 2 ** 53 - 1, '0'.repeat(64), GENESIS_HASH),
      fc.array(fc.oneof(oddString, fc.integer(), fc.constant(null)), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
    );
    const key = fc.oneof(
      fc.constantFrom(...READ, 'memberId', 'salt', 'itemsRequested', 'a', 'Z', 'é', '😀'),
      fc.string({ maxLength: 4 }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, value), { maxLength: 8 }),
        fc.nat(),
        fc.constantFrom('none', 'space', 'byte', 'cut', 'duplicate'),
        (members, at, damage) => {
          let text = `{${members.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
          if (damage === 'space' && text.length > 2)
            text = `${text.slice(0, 1 + (at % (text.length - 1)))} ${text.slice(1 + (at % (text.length - 1)))}`;
          if (damage === 'byte') {
            const i = at % text.length;
            text =
              text.slice(0, i) +
              String.fromCharCode((text.charCodeAt(i) + 1 + (at % 90)) % 128) +
              text.slice(i + 1);
          }
          if (damage === 'cut') text = text.slice(0, at % (text.length + 1));
          if (damage === 'duplicate' && members.length > 0) {
            const [k, v] = members[at % members.length];
            text = `${text.slice(0, -1)}${members.length > 0 ? ',' : ''}${JSON.stringify(k)}:${JSON.stringify(v === null ? 1 : null)}}`;
          }
          expectSameAsSlow(text);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('leaves invalid UTF-8 to the slow path through decoding (U+FFFD), as before', () => {
    const text = JSON.stringify({ v: 1, seq: '1', memberId: 'ab' });
    const bytes = Buffer.concat([
      Buffer.from(text.slice(0, -3)),
      Buffer.from([0xc3]),
      Buffer.from(text.slice(-3)),
    ]);
    const decoded = bytes.toString('utf8');
    expect(decoded).toContain('\ufffd');
    expectSameAsSlow(decoded);
  });
});
