import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { DATA_ITEMS, type DataItem } from '@broker/data-items';
import {
  CANONICAL_VERSION,
  ChainWalker,
  GENESIS_HASH,
  canonicalDocument,
  canonicalJson,
  entryHash,
  leafBytes,
  newSalt,
  preparedDocument,
  prepareEntry,
  sealEntries,
  sealPrepared,
} from './access-chain';
import type { AccessEntry, NewAccessEntry } from './access-entry';

type Sealable = NewAccessEntry & { seq: string; prevHash: string };

function newEntry(i: number, over: Partial<NewAccessEntry> = {}): NewAccessEntry {
  return {
    occurredAt: new Date(Date.UTC(2026, 0, 1, 12, 0, i)),
    channel: 'sync',
    memberId: 'ccss',
    purpose: 'ccss.affiliation',
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
    ...over,
  };
}

const genesis = { seq: 0n, hash: GENESIS_HASH };

function chain(n: number): AccessEntry[] {
  return sealEntries(
    Array.from({ length: n }, (_, i) => newEntry(i + 1)),
    genesis,
  );
}

function headOf(entries: AccessEntry[]): { seq: bigint; hash: string } {
  const last = entries[entries.length - 1];
  return last ? { seq: BigInt(last.seq), hash: last.hash } : genesis;
}

function walk(entries: AccessEntry[], head?: { seq: bigint; hash: string }): ChainWalker {
  const w = new ChainWalker();
  entries.forEach((e) => w.push(e));
  if (head) w.finish(head);
  return w;
}

describe('canonicalJson', () => {
  it('sorts object keys, at every depth, and emits no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: null, y: true }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[1,{"y":true,"z":null}]},"b":1}',
    );
  });

  it('gives the same text whatever the insertion order of the keys', () => {
    const a = canonicalJson({ x: 1, y: 2, z: [3] });
    const b = canonicalJson({ z: [3], y: 2, x: 1 });
    expect(a).toBe(b);
    expect(a).toBe('{"x":1,"y":2,"z":[3]}');
  });

  it('keeps array order (arrays are sequences, not sets)', () => {
    expect(canonicalJson([2, 1, 3])).toBe('[2,1,3]');
    expect(canonicalJson(['b', 'a'])).not.toBe(canonicalJson(['a', 'b']));
  });

  it('sorts keys by UTF-16 code units (RFC 8785), not by code points or locale', () => {
    // U+1F600 is the surrogate pair D83D DE00, which sorts before U+FFFF in UTF-16 order
    // (by code point it would come after); 'Z' (0x5A) sorts before 'a' (0x61); 'é' (0xE9) after 'z'.
    expect(canonicalJson({ '\uffff': 1, '\u{1f600}': 2 })).toBe('{"\u{1f600}":2,"\uffff":1}');
    expect(canonicalJson({ a: 1, Z: 2, é: 3, z: 4 })).toBe('{"Z":2,"a":1,"z":4,"é":3}');
  });

  it('keeps non-ASCII characters literal and escapes control characters and quotes', () => {
    expect(canonicalJson('Esch-sur-Alzette, Lëtzebuerg €')).toBe('"Esch-sur-Alzette, Lëtzebuerg €"');
    expect(canonicalJson('a"b\\c\n\t\u0001')).toBe('"a\\"b\\\\c\\n\\t\\u0001"');
    expect(canonicalJson({ 'k"ey': 'v' })).toBe('{"k\\"ey":"v"}');
  });

  it('writes literals and integers plainly', () => {
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson(true)).toBe('true');
    expect(canonicalJson(false)).toBe('false');
    expect(canonicalJson(0)).toBe('0');
    expect(canonicalJson(-42)).toBe('-42');
    expect(canonicalJson(Number.MAX_SAFE_INTEGER)).toBe('9007199254740991');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson([])).toBe('[]');
  });

  it.each([1.5, -0.1, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER + 1, 1e21])(
    'refuses the non-canonical number %p',
    (n) => {
      expect(() => canonicalJson(n)).toThrow(TypeError);
      expect(() => canonicalJson({ a: [n] })).toThrow(TypeError);
    },
  );

  it('round-trips, is idempotent and ignores key insertion order (property)', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.maxSafeInteger(),
        fc.string({ unit: 'binary' }),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.string({ unit: 'binary' }), tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    fc.assert(
      fc.property(json, (v) => {
        const text = canonicalJson(v as never);
        expect(JSON.parse(text)).toEqual(v);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(canonicalJson(reverseKeys(v) as never)).toBe(text);
      }),
    );
  });
});

/** The same value with every object's keys inserted in reverse order. */
function reverseKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .reverse()
        .map(([k, x]) => [k, reverseKeys(x)]),
    );
  }
  return v;
}

describe('canonicalDocument and entryHash', () => {
  const sealable = (over: Partial<Sealable> = {}): Sealable => ({
    ...newEntry(1),
    seq: '1',
    prevHash: GENESIS_HASH,
    auditFilter: null,
    itemSources: null,
    itemsFailed: null,
    salt: null,
    ...over,
  });

  it('hashes the documented canonical document with SHA-256 (hex)', () => {
    const e = sealable();
    const doc = canonicalDocument(e);
    expect(doc).toBe(
      '{"channel":"sync","consentIssuer":"myguichet","consentJti":"jti-1","correlationId":"corr-1",' +
        '"itemsDisclosed":["name","birth"],"itemsRequested":["name","birth"],"jobId":null,' +
        '"memberId":"ccss","occurredAt":"2026-01-01T12:00:01.000Z","outcome":"DISCLOSED",' +
        `"prevHash":"${GENESIS_HASH}","purpose":"ccss.affiliation","reasonCode":null,"seq":"1",` +
        `"source":"rnpp","subject":"1980010112345","v":${CANONICAL_VERSION}}`,
    );
    expect(entryHash(e)).toBe(createHash('sha256').update(doc, 'utf8').digest('hex'));
    expect(entryHash(e)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is stable: the same entry (even a copy with other key order) always hashes the same', () => {
    const e = sealable();
    const reordered = Object.fromEntries(Object.entries(e).reverse()) as Sealable;
    const copy: Sealable = {
      ...e,
      occurredAt: new Date(e.occurredAt.getTime()),
      itemsRequested: ['name', 'birth'],
    };
    expect(entryHash(e)).toBe(entryHash(e));
    expect(entryHash(reordered)).toBe(entryHash(e));
    expect(entryHash(copy)).toBe(entryHash(e));
  });

  it('hashes a salt only when present, and the leaf bytes are exactly the canonical document', () => {
    const e = sealable();
    const salt = newSalt();
    expect(Buffer.from(salt, 'base64url')).toHaveLength(16);
    expect(newSalt()).not.toBe(salt);
    expect(entryHash({ ...e, salt: null })).toBe(entryHash(e));
    const salted = { ...e, salt };
    expect(canonicalDocument(salted)).toContain(`"salt":"${salt}"`);
    expect(leafBytes(salted).equals(Buffer.from(canonicalDocument(salted), 'utf8'))).toBe(true);
    expect(entryHash(salted)).not.toBe(entryHash(e));
  });

  it('draws salts from a pool without ever giving the same bytes twice, across refills', () => {
    const salts = Array.from({ length: 1000 }, () => newSalt());
    for (const s of salts) expect(Buffer.from(s, 'base64url')).toHaveLength(16);
    expect(new Set(salts).size).toBe(salts.length);
  });

  it('ignores properties that are not part of the entry (e.g. a stored hash)', () => {
    const e = sealable();
    expect(entryHash({ ...e, hash: 'f'.repeat(64) } as Sealable)).toBe(entryHash(e));
  });

  // One changed value per field, each of the same type as the original.
  const changes: { [K in keyof Sealable]-?: Sealable[K][] } = {
    occurredAt: [new Date(Date.UTC(2026, 0, 1, 12, 0, 1, 1)), new Date(Date.UTC(2027, 0, 1, 12, 0, 1))],
    channel: ['async', 'self', 'audit'],
    memberId: ['cnap', 'CCSS', 'ccss '],
    purpose: [null, 'null', 'ccss.affiliation2'],
    consentIssuer: [null, 'other-issuer'],
    consentJti: [null, 'jti-2', ''],
    subject: [null, '1980010112346'],
    itemsRequested: [[], ['name'], ['birth', 'name'], ['name', 'birth', 'sex']],
    itemsDisclosed: [[], ['birth'], ['birth', 'name']],
    outcome: ['REFUSED'],
    reasonCode: ['SCOPE_NOT_GRANTED', ''],
    source: [null, 'rcs'],
    itemSources: [['name:rcs'], ['name:rnpp', 'affiliation:ccss']],
    itemsFailed: [['affiliation'], ['name']],
    correlationId: ['corr-2', ''],
    jobId: ['job-1', ''],
    auditFilter: ['{}', '{"memberId":"m"}'],
    salt: ['AAAAAAAAAAAAAAAAAAAAAA', 'AAAAAAAAAAAAAAAAAAAAAB'],
    seq: ['2', '01', '10'],
    prevHash: ['1'.repeat(64), GENESIS_HASH.slice(1) + '1'],
  };

  const cases = Object.entries(changes).flatMap(([field, values]) =>
    (values as unknown[]).map((value) => [field, value] as const),
  );

  it.each(cases)('changes when %s changes to %p', (field, value) => {
    const e = sealable();
    expect(entryHash({ ...e, [field]: value })).not.toBe(entryHash(e));
  });

  it('covers every field of an entry (the table above is exhaustive)', () => {
    expect(Object.keys(changes).sort()).toEqual(Object.keys(sealable()).sort());
  });

  const arbItems = fc.subarray([...DATA_ITEMS]) as fc.Arbitrary<DataItem[]>;
  const arbEntry: fc.Arbitrary<Sealable> = fc.record({
    occurredAt: fc.date({
      min: new Date('2000-01-01T00:00:00Z'),
      max: new Date('2100-01-01T00:00:00Z'),
      noInvalidDate: true,
    }),
    channel: fc.constantFrom('sync', 'async', 'self', 'audit'),
    memberId: fc.string({ minLength: 1 }),
    purpose: fc.option(fc.string()),
    consentIssuer: fc.option(fc.string()),
    consentJti: fc.option(fc.string()),
    subject: fc.option(fc.stringMatching(/^[0-9]{13}$/)),
    itemsRequested: arbItems,
    itemsDisclosed: arbItems,
    outcome: fc.constantFrom('DISCLOSED', 'REFUSED'),
    reasonCode: fc.option(fc.string()),
    source: fc.option(fc.string()),
    correlationId: fc.string(),
    jobId: fc.option(fc.string()),
    auditFilter: fc.option(fc.string()),
    itemSources: fc.option(fc.array(fc.string(), { minLength: 1 })),
    itemsFailed: fc.option(arbItems.filter((a) => a.length > 0)),
    salt: fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{22}$/)),
    seq: fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }).map(String),
    prevHash: fc.stringMatching(/^[0-9a-f]{64}$/),
  }) as fc.Arbitrary<Sealable>;

  /** A value of the same field that differs from `current`. */
  function arbOther(field: keyof Sealable, current: unknown): fc.Arbitrary<unknown> {
    const arb = (arbEntry as unknown as fc.Arbitrary<Record<string, unknown>>).map((e) => e[field]);
    return arb.filter((v) => canonicalJson(normalise(v)) !== canonicalJson(normalise(current)));
  }
  function normalise(v: unknown): never {
    return (v instanceof Date ? v.toISOString() : v) as never;
  }

  it('is sensitive to every field of random entries (property)', () => {
    const fields = Object.keys(changes) as (keyof Sealable)[];
    fc.assert(
      fc.property(
        arbEntry.chain((e) =>
          fc
            .constantFrom(...fields)
            .chain((field) => arbOther(field, e[field]).map((other) => ({ e, field, other }))),
        ),
        ({ e, field, other }) => {
          expect(entryHash({ ...e, [field]: other })).not.toBe(entryHash(e));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('prepared outside the lock, writes the same document as canonicalDocument (property)', () => {
    fc.assert(
      fc.property(arbEntry, fc.option(fc.string(), { nil: undefined }), (e, oddHead) => {
        const { seq, prevHash, ...rest } = e;
        // a head hash as a tampered database could hold it: still the same text as canonicalDocument
        const prev = oddHead ?? prevHash;
        expect(preparedDocument(prepareEntry(rest), seq, prev)).toBe(
          canonicalDocument({ ...rest, seq, prevHash: prev }),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('is deterministic over random entries (property)', () => {
    fc.assert(
      fc.property(arbEntry, (e) => {
        const clone: Sealable = {
          ...e,
          occurredAt: new Date(e.occurredAt.getTime()),
          itemsRequested: [...e.itemsRequested],
          itemsDisclosed: [...e.itemsDisclosed],
        };
        expect(entryHash(clone)).toBe(entryHash(e));
      }),
    );
  });
});

describe('sealEntries', () => {
  it('numbers entries consecutively after the genesis head and links each to the previous hash', () => {
    const sealed = chain(4);
    expect(sealed.map((e) => e.seq)).toEqual(['1', '2', '3', '4']);
    expect(sealed[0].prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < sealed.length; i++) expect(sealed[i].prevHash).toBe(sealed[i - 1].hash);
    for (const e of sealed) expect(e.hash).toBe(entryHash(e));
    expect(new Set(sealed.map((e) => e.hash)).size).toBe(4);
  });

  it('continues from an arbitrary head (seq and hash), beyond 2^53', () => {
    const headHash = 'a'.repeat(64);
    const headSeq = 2n ** 60n;
    const sealed = sealEntries([newEntry(1), newEntry(2)], { seq: headSeq, hash: headHash });
    expect(sealed.map((e) => e.seq)).toEqual([(headSeq + 1n).toString(), (headSeq + 2n).toString()]);
    expect(sealed[0].prevHash).toBe(headHash);
    expect(sealed[1].prevHash).toBe(sealed[0].hash);
  });

  it('keeps the entry fields and does not modify its input', () => {
    const input = [newEntry(7)];
    const frozen = JSON.stringify(input);
    const [sealed] = sealEntries(input, genesis);
    expect(JSON.stringify(input)).toBe(frozen);
    expect(sealed).toMatchObject({ ...input[0], seq: '1', prevHash: GENESIS_HASH });
  });

  it('seals two batches into the same chain as one batch', () => {
    const entries = [newEntry(1), newEntry(2), newEntry(3)];
    const first = sealEntries(entries.slice(0, 2), genesis);
    const second = sealEntries(entries.slice(2), headOf(first));
    expect([...first, ...second]).toEqual(sealEntries(entries, genesis));
  });

  it('returns nothing for no entries', () => {
    expect(sealEntries([], genesis)).toEqual([]);
  });

  it('seals prepared entries exactly as sealEntries does (the appender prepares before the head lock)', () => {
    const entries = [
      newEntry(1),
      newEntry(2, { itemSources: ['name:rnpp'], itemsFailed: ['birth'] }),
      newEntry(3),
    ];
    const head = { seq: 41n, hash: 'b'.repeat(64) };
    const sealed = sealPrepared(entries.map(prepareEntry), head);
    expect(sealed).toEqual(sealEntries(entries, head));
    for (const e of sealed) expect(e.hash).toBe(entryHash(e));
  });
});

describe('ChainWalker', () => {
  it('accepts a valid chain and its head', () => {
    const entries = chain(5);
    const w = walk(entries, headOf(entries));
    expect(w.firstBreak).toBeNull();
    expect(w.entries).toBe(5);
    expect(w.lastHash).toBe(entries[4].hash);
  });

  it('accepts an empty chain with the genesis head', () => {
    const w = walk([], genesis);
    expect(w.firstBreak).toBeNull();
    expect(w.entries).toBe(0);
    expect(w.lastHash).toBe(GENESIS_HASH);
  });

  it('accepts any valid chain built by sealEntries in batches (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 5 }), (batches) => {
        let head = genesis;
        const all: AccessEntry[] = [];
        let i = 0;
        for (const size of batches) {
          const sealed = sealEntries(
            Array.from({ length: size }, () => newEntry(++i)),
            head,
          );
          all.push(...sealed);
          head = headOf(sealed);
        }
        expect(walk(all, head).firstBreak).toBeNull();
      }),
      { numRuns: 30 },
    );
  });

  it.each([
    ['memberId', 'cnap'],
    ['subject', '1990010112345'],
    ['itemsDisclosed', ['name', 'birth', 'address']],
    ['outcome', 'REFUSED'],
    ['occurredAt', new Date('2030-01-01T00:00:00Z')],
  ] as const)('reports an altered %s as hash-mismatch at that seq', (field, value) => {
    const entries = chain(5);
    entries[2] = { ...entries[2], [field]: value };
    const w = walk(entries, headOf(chain(5)));
    expect(w.firstBreak).toEqual({ seq: '3', reason: 'hash-mismatch' });
  });

  it('reports an altered first entry at seq 1', () => {
    const entries = chain(3);
    entries[0] = { ...entries[0], purpose: 'other' };
    expect(walk(entries).firstBreak).toEqual({ seq: '1', reason: 'hash-mismatch' });
  });

  it('reports a deleted middle entry as sequence-gap at the missing seq', () => {
    const entries = chain(5);
    entries.splice(2, 1); // removes seq 3
    const w = walk(entries, headOf(chain(5)));
    expect(w.firstBreak).toEqual({ seq: '3', reason: 'sequence-gap' });
  });

  it('reports a deleted first entry as sequence-gap at seq 1', () => {
    const entries = chain(3).slice(1);
    expect(walk(entries).firstBreak).toEqual({ seq: '1', reason: 'sequence-gap' });
  });

  it('reports two swapped entries at the first of the two', () => {
    const entries = chain(5);
    [entries[1], entries[2]] = [entries[2], entries[1]]; // seq 2 and 3 swapped
    expect(walk(entries, headOf(chain(5))).firstBreak).toEqual({ seq: '2', reason: 'sequence-gap' });
  });

  it('reports two entries whose contents were swapped and renumbered at the first of the two', () => {
    const entries = chain(5);
    const [b, c] = [entries[1], entries[2]];
    entries[1] = { ...c, seq: b.seq };
    entries[2] = { ...b, seq: c.seq };
    const w = walk(entries, headOf(chain(5)));
    expect(w.firstBreak?.seq).toBe('2');
    expect(w.firstBreak?.reason).toBe('link-mismatch');
  });

  it('reports an inserted duplicate at the position it occupies', () => {
    const entries = chain(4);
    entries.splice(2, 0, entries[1]); // seq 2 appears twice
    const w = walk(entries, headOf(chain(4)));
    expect(w.firstBreak).toEqual({ seq: '3', reason: 'sequence-gap' });
  });

  it('reports a deleted last entry against the head (head-mismatch at the missing seq)', () => {
    const full = chain(5);
    const w = walk(full.slice(0, 4));
    expect(w.firstBreak).toBeNull(); // the walk alone cannot see it
    w.finish(headOf(full));
    expect(w.firstBreak).toEqual({ seq: '5', reason: 'head-mismatch' });
  });

  it('reports an appended tail against the head (head-mismatch at the first extra seq)', () => {
    const full = chain(5);
    const w = walk(full, headOf(full.slice(0, 3)));
    expect(w.firstBreak).toEqual({ seq: '4', reason: 'head-mismatch' });
  });

  it('reports a recomputed-hash forgery of one entry at the next link (link-mismatch)', () => {
    const entries = chain(5);
    const forged = { ...entries[2], itemsDisclosed: [] as DataItem[], outcome: 'REFUSED' as const };
    entries[2] = { ...forged, hash: entryHash(forged) };
    const w = walk(entries, headOf(chain(5)));
    expect(w.firstBreak).toEqual({ seq: '4', reason: 'link-mismatch' });
  });

  it('reports a recomputed-hash forgery of the last entry against the head hash', () => {
    const entries = chain(5);
    const head = headOf(entries);
    const forged = { ...entries[4], subject: '1990010112345' };
    entries[4] = { ...forged, hash: entryHash(forged) };
    const w = walk(entries);
    expect(w.firstBreak).toBeNull();
    w.finish(head);
    expect(w.firstBreak).toEqual({ seq: '5', reason: 'head-mismatch' });
  });

  it('reports a wrong prevHash as link-mismatch even when the entry hash was recomputed', () => {
    const entries = chain(3);
    const forged = { ...entries[1], prevHash: 'b'.repeat(64) };
    entries[1] = { ...forged, hash: entryHash(forged) };
    expect(walk(entries).firstBreak).toEqual({ seq: '2', reason: 'link-mismatch' });
  });

  it('keeps the first break and keeps counting entries after it', () => {
    const entries = chain(6);
    entries[1] = { ...entries[1], memberId: 'x' };
    entries.splice(4, 1);
    const w = walk(entries, { seq: 99n, hash: 'c'.repeat(64) });
    expect(w.firstBreak).toEqual({ seq: '2', reason: 'hash-mismatch' });
    expect(w.entries).toBe(5);
  });

  it('detects any single-field alteration of any entry of a random chain (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            at: fc.integer({ min: 0, max: n - 1 }),
            correlationId: fc.string({ minLength: 1 }),
          }),
        ),
        ({ n, at, correlationId }) => {
          const entries = chain(n);
          const head = headOf(entries);
          fc.pre(entries[at].correlationId !== correlationId);
          entries[at] = { ...entries[at], correlationId };
          expect(walk(entries, head).firstBreak).toEqual({ seq: String(at + 1), reason: 'hash-mismatch' });
        },
      ),
      { numRuns: 50 },
    );
  });
});
