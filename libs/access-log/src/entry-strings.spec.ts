import fc from 'fast-check';
import { ErrorCode } from '@broker/errors';
import { GENESIS_HASH, canonicalDocument, entryHash, sealEntries } from './access-chain';
import type { AccessEntry, NewAccessEntry } from './access-entry';
import { AccessLogAppender } from './access-log-appender.service';
import {
  AccessEntryRejected,
  MAX_IDENTIFIER_LENGTH,
  MAX_TEXT_LENGTH,
  entryProblem,
  isLogIdentifier,
  isLogText,
  logIdentifierOrNull,
} from './entry-strings';

function entry(over: Partial<NewAccessEntry> = {}): NewAccessEntry {
  return {
    occurredAt: new Date(Date.UTC(2026, 0, 1, 12)),
    channel: 'sync',
    memberId: 'ccss',
    purpose: 'social-benefits',
    consentIssuer: 'myguichet',
    consentJti: '0b6f3f0e-5d0c-4c2a-9a57-2f1c8e4d7a10',
    subject: '1980010112345',
    itemsRequested: ['name'],
    itemsDisclosed: ['name'],
    outcome: 'DISCLOSED',
    reasonCode: null,
    source: 'rnpp',
    correlationId: 'req-7f3a',
    jobId: null,
    ...over,
  };
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@/+=-';
const FIRST = ALPHABET.slice(0, 62);
/** Any identifier the rules accept. */
const identifier = fc
  .tuple(
    fc.constantFrom(...FIRST),
    fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: MAX_IDENTIFIER_LENGTH - 1 }),
  )
  .map(([a, b]) => a + b);
/** Any well-formed text without control characters (full Unicode, astral pairs included). */
const text = fc
  .string({ unit: 'grapheme', maxLength: 200 })
  .filter((s) => !/\p{Cc}/u.test(s) && s.length <= MAX_TEXT_LENGTH);
const BAD_UNITS = ['\u0000', '\u0007', '\n', '\r', '\t', '\u001b', '\u007f', '\u0085', '\ud800', '\udfff'];

describe('isLogIdentifier', () => {
  it('accepts UUIDs, purposes, member ids, error codes and correlation ids in use today', () => {
    for (const v of [
      '0b6f3f0e-5d0c-4c2a-9a57-2f1c8e4d7a10',
      'social-benefits',
      'SOCIAL-SECURITY-AFFILIATION',
      'ccss.affiliation',
      'auditor:staff-1/alice@example.lu',
      'CONSENT_INVALID',
      'req-7f3a',
      'a',
      'x'.repeat(MAX_IDENTIFIER_LENGTH),
    ]) {
      expect(isLogIdentifier(v)).toBe(true);
    }
  });

  it('refuses the empty string, a leading symbol, spaces, non-ASCII and overlong values', () => {
    for (const v of [
      '',
      '-x',
      '.x',
      '_x',
      'a b',
      ' a',
      'é',
      'a\u00a0b',
      'x'.repeat(MAX_IDENTIFIER_LENGTH + 1),
    ]) {
      expect(isLogIdentifier(v)).toBe(false);
    }
    expect(isLogIdentifier(42)).toBe(false);
    expect(isLogIdentifier(null)).toBe(false);
    expect(isLogIdentifier('abcdef', 5)).toBe(false);
  });

  it('accepts every value of the alphabet up to the cap (property)', () => {
    fc.assert(fc.property(identifier, (v) => expect(isLogIdentifier(v)).toBe(true)));
  });

  it('refuses any identifier with a control character or a lone surrogate inserted (property)', () => {
    fc.assert(
      fc.property(identifier, fc.constantFrom(...BAD_UNITS), fc.nat(), (v, bad, at) => {
        const i = at % (v.length + 1);
        expect(isLogIdentifier(v.slice(0, i) + bad + v.slice(i))).toBe(false);
      }),
    );
  });

  it('logIdentifierOrNull drops a bad value instead of passing it on', () => {
    expect(logIdentifierOrNull('c-1')).toBe('c-1');
    expect(logIdentifierOrNull('c\u00001')).toBeNull();
    expect(logIdentifierOrNull(undefined)).toBeNull();
  });
});

describe('isLogText', () => {
  it('accepts well-formed text with astral characters and refuses lone surrogates and controls', () => {
    expect(isLogText('{"members":["ccss"],"from":"2026-01-01"}')).toBe(true);
    expect(isLogText('Ménage 🏠')).toBe(true);
    expect(isLogText('')).toBe(true);
    for (const bad of BAD_UNITS) expect(isLogText(`a${bad}b`)).toBe(false);
    expect(isLogText('\ud83c')).toBe(false); // the first half of 🏠 alone
    expect(isLogText('x'.repeat(MAX_TEXT_LENGTH + 1))).toBe(false);
  });

  it('refuses any text with a lone surrogate inserted between code points (property)', () => {
    fc.assert(
      fc.property(text, fc.constantFrom('\ud800', '\udbff', '\udc00', '\udfff'), fc.nat(), (t, s, at) => {
        const points = [...t];
        const i = at % (points.length + 1);
        // between whole code points a surrogate never completes a pair: it stays alone
        expect(isLogText([...points.slice(0, i), s, ...points.slice(i)].join(''))).toBe(false);
      }),
    );
  });
});

describe('entryProblem', () => {
  it('accepts the entries the broker writes today', () => {
    expect(entryProblem(entry())).toBeNull();
    expect(
      entryProblem(
        entry({
          channel: 'audit',
          memberId: 'auditor:staff-1/auditor-e2e',
          purpose: 'audit.export',
          consentIssuer: null,
          consentJti: null,
          subject: null,
          itemsRequested: [],
          itemsDisclosed: [],
          source: 'access-log',
          auditFilter: '{"format":"ndjson","headSeq":"12","members":["ccss"]}',
        }),
      ),
    ).toBeNull();
    expect(
      entryProblem(
        entry({
          outcome: 'REFUSED',
          reasonCode: ErrorCode.CONSENT_INVALID,
          purpose: null,
          consentIssuer: null,
          consentJti: null,
          itemsDisclosed: [],
          jobId: '5f0c2a54-3f0e-4f5e-9c1e-8a8b1c7d2e3f',
        }),
      ),
    ).toBeNull();
  });

  it('names the first field that cannot be recorded, for every string field', () => {
    const cases: [Partial<NewAccessEntry>, keyof NewAccessEntry][] = [
      [{ consentJti: 'c\u00001' }, 'consentJti'],
      [{ consentJti: '\ud800' }, 'consentJti'],
      [{ consentJti: '' }, 'consentJti'],
      [{ purpose: 'social\nbenefits' }, 'purpose'],
      [{ consentIssuer: '-x' }, 'consentIssuer'],
      [{ memberId: 'a b' }, 'memberId'],
      [{ correlationId: 'x'.repeat(MAX_IDENTIFIER_LENGTH + 1) }, 'correlationId'],
      [{ jobId: 'job\u0000' }, 'jobId'],
      [{ source: 'rnpp\u007f' }, 'source'],
      [{ reasonCode: 'NOT_A_CODE' }, 'reasonCode'],
      [{ subject: '12345' }, 'subject'],
      [{ auditFilter: '{"m":"\ud800"}' }, 'auditFilter'],
      [{ itemsRequested: ['name', 'shoeSize' as never] }, 'itemsRequested'],
      [{ occurredAt: new Date(Number.NaN) }, 'occurredAt'],
      [{ channel: 'mail' as never }, 'channel'],
    ];
    for (const [over, field] of cases) expect(entryProblem(entry(over))).toBe(field);
  });
});

describe('canonical form of accepted entries', () => {
  /** What PostgreSQL gives back: each string through UTF-8 and back (lossy for a lone surrogate). */
  const throughUtf8 = (s: string | null): string | null =>
    s === null ? null : Buffer.from(s, 'utf8').toString('utf8');

  const accepted = fc.record({
    memberId: identifier,
    purpose: fc.option(identifier),
    consentIssuer: fc.option(identifier),
    consentJti: fc.option(identifier),
    correlationId: identifier,
    jobId: fc.option(identifier),
    source: fc.option(identifier),
    auditFilter: fc.option(text),
  });

  it('hashes every accepted entry the same after a round trip through UTF-8 storage (property)', () => {
    fc.assert(
      fc.property(accepted, (strings) => {
        const e = entry(strings);
        expect(entryProblem(e)).toBeNull();
        const [sealed] = sealEntries([e], { seq: 0n, hash: GENESIS_HASH });
        const stored: AccessEntry = {
          ...sealed,
          memberId: throughUtf8(sealed.memberId) as string,
          purpose: throughUtf8(sealed.purpose),
          consentIssuer: throughUtf8(sealed.consentIssuer),
          consentJti: throughUtf8(sealed.consentJti),
          correlationId: throughUtf8(sealed.correlationId) as string,
          jobId: throughUtf8(sealed.jobId),
          source: throughUtf8(sealed.source),
          auditFilter: throughUtf8(sealed.auditFilter ?? null),
        };
        expect(entryHash(stored)).toBe(sealed.hash);
        const doc = canonicalDocument(sealed);
        expect(Buffer.from(doc, 'utf8').toString('utf8')).toBe(doc);
        expect(
          canonicalDocument({ ...sealed, ...(JSON.parse(doc) as object), occurredAt: e.occurredAt }),
        ).toBe(doc);
      }),
    );
  });

  it('is not stable for a lone surrogate: the reason such a value is refused', () => {
    const [sealed] = sealEntries([entry({ consentJti: 'a\ud800' })], { seq: 0n, hash: GENESIS_HASH });
    expect(entryHash({ ...sealed, consentJti: throughUtf8(sealed.consentJti) })).not.toBe(sealed.hash);
  });
});

describe('AccessLogAppender (last line of defence)', () => {
  // no database: a refused entry must be turned away before the appender touches one
  const appender = new AccessLogAppender(undefined as never, undefined as never, undefined as never);

  it('refuses an entry with a NUL in the consent jti before queueing it, naming the field only', async () => {
    const err = await appender.append(entry({ consentJti: 'c\u00001' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccessEntryRejected);
    expect((err as AccessEntryRejected).code).toBe(ErrorCode.INTERNAL_ERROR);
    expect((err as AccessEntryRejected).details).toEqual({ field: 'consentJti' });
    expect(appender.stats).toMatchObject({ appended: 0, failures: 0 });
  });

  it('refuses a batch within a transaction before locking the head when one entry has a lone surrogate', async () => {
    const err = await appender
      .appendWithin(undefined as never, [entry(), entry({ purpose: '\ud800' })])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccessEntryRejected);
    expect((err as AccessEntryRejected).details).toEqual({ field: 'purpose' });
  });
});
