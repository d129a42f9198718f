import fc from 'fast-check';
import type { Consent } from '@broker/consent';
import { DATA_ITEMS, type DataItem } from '@broker/data-items';
import { BrokerError, ErrorCode } from '@broker/errors';
import type { Member } from '@broker/trust';
import { assertDisclosureAllowed } from './disclosure-policy';

const SUBJECT = '1980010112345';
const OTHER_SUBJECT = '1990020212345';

function member(grants: Record<string, DataItem[]>, id = 'ccss'): Member {
  return {
    id,
    name: id.toUpperCase(),
    keys: new Map(),
    grants: new Map(Object.entries(grants).map(([p, items]) => [p, new Set(items)])),
  };
}

function consent(over: Partial<Omit<Consent, 'scope'>> & { scope?: DataItem[] } = {}): Consent {
  const { scope, ...rest } = over;
  return {
    issuer: 'myguichet',
    jti: 'c-1',
    subject: SUBJECT,
    audience: 'ccss',
    purpose: 'ccss.affiliation',
    scope: new Set(scope ?? ['name', 'birth', 'address']),
    issuedAt: 1_700_000_000,
    expiresAt: 1_700_003_600,
    ...rest,
  };
}

const ccss = member({ 'ccss.affiliation': ['name', 'birth', 'sex'], 'ccss.other': ['address'] });

/** The BrokerError thrown by `fn` (fails the test if none is thrown). */
function refusal(fn: () => void): BrokerError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BrokerError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('assertDisclosureAllowed', () => {
  it('allows items that are both consented and granted', () => {
    expect(() => assertDisclosureAllowed(ccss, consent(), SUBJECT, ['name', 'birth'])).not.toThrow();
    expect(() => assertDisclosureAllowed(ccss, consent(), SUBJECT, ['name'])).not.toThrow();
  });

  it('allows a request for no item (matricule only) when audience, subject and purpose match', () => {
    expect(() => assertDisclosureAllowed(ccss, consent({ scope: [] }), SUBJECT, [])).not.toThrow();
  });

  it('refuses a consent given to another member (CONSENT_AUDIENCE_MISMATCH)', () => {
    const e = refusal(() => assertDisclosureAllowed(ccss, consent({ audience: 'cnap' }), SUBJECT, ['name']));
    expect(e.code).toBe(ErrorCode.CONSENT_AUDIENCE_MISMATCH);
  });

  it('compares the audience exactly (case and whitespace matter)', () => {
    for (const audience of ['CCSS', 'ccss ', ' ccss', '']) {
      const e = refusal(() => assertDisclosureAllowed(ccss, consent({ audience }), SUBJECT, ['name']));
      expect(e.code).toBe(ErrorCode.CONSENT_AUDIENCE_MISMATCH);
    }
  });

  it('refuses a consent about another person (CONSENT_SUBJECT_MISMATCH), even for no item', () => {
    const e = refusal(() => assertDisclosureAllowed(ccss, consent(), OTHER_SUBJECT, ['name']));
    expect(e.code).toBe(ErrorCode.CONSENT_SUBJECT_MISMATCH);
    const e2 = refusal(() => assertDisclosureAllowed(ccss, consent(), OTHER_SUBJECT, []));
    expect(e2.code).toBe(ErrorCode.CONSENT_SUBJECT_MISMATCH);
  });

  it('never echoes the matricules in the refusal details', () => {
    const e = refusal(() => assertDisclosureAllowed(ccss, consent(), OTHER_SUBJECT, ['name']));
    expect(JSON.stringify(e.details ?? {})).not.toContain(SUBJECT);
    expect(JSON.stringify(e.details ?? {})).not.toContain(OTHER_SUBJECT);
    expect(e.message).not.toContain(SUBJECT);
    expect(e.message).not.toContain(OTHER_SUBJECT);
  });

  it('refuses a purpose the member is not registered for (PURPOSE_NOT_ALLOWED) with the purpose in details', () => {
    const e = refusal(() =>
      assertDisclosureAllowed(ccss, consent({ purpose: 'cnap.allowance' }), SUBJECT, ['name']),
    );
    expect(e.code).toBe(ErrorCode.PURPOSE_NOT_ALLOWED);
    expect(e.details).toEqual({ purpose: 'cnap.allowance' });
  });

  it('does not treat Object.prototype names as registered purposes', () => {
    for (const purpose of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const e = refusal(() => assertDisclosureAllowed(ccss, consent({ purpose }), SUBJECT, []));
      expect(e.code).toBe(ErrorCode.PURPOSE_NOT_ALLOWED);
    }
  });

  it('refuses items outside the consent scope (SCOPE_NOT_GRANTED, notConsented)', () => {
    const e = refusal(() => assertDisclosureAllowed(ccss, consent(), SUBJECT, ['name', 'sex']));
    expect(e.code).toBe(ErrorCode.SCOPE_NOT_GRANTED);
    expect(e.details).toEqual({ notConsented: ['sex'], notGranted: [] });
  });

  it('refuses items outside the grant for the purpose (SCOPE_NOT_GRANTED, notGranted)', () => {
    const e = refusal(() => assertDisclosureAllowed(ccss, consent(), SUBJECT, ['name', 'address']));
    expect(e.code).toBe(ErrorCode.SCOPE_NOT_GRANTED);
    expect(e.details).toEqual({ notConsented: [], notGranted: ['address'] });
  });

  it('uses the grant of the consent purpose only, not the union of all grants', () => {
    // 'address' is granted for ccss.other, not for ccss.affiliation
    const e = refusal(() =>
      assertDisclosureAllowed(ccss, consent({ scope: ['address'] }), SUBJECT, ['address']),
    );
    expect(e.details).toEqual({ notConsented: [], notGranted: ['address'] });
    expect(() =>
      assertDisclosureAllowed(ccss, consent({ purpose: 'ccss.other', scope: ['address'] }), SUBJECT, [
        'address',
      ]),
    ).not.toThrow();
  });

  it('lists every offending item, on both sides at once', () => {
    const e = refusal(() =>
      assertDisclosureAllowed(ccss, consent({ scope: ['name', 'address'] }), SUBJECT, [
        'name',
        'birth',
        'address',
        'death',
      ]),
    );
    expect(e.code).toBe(ErrorCode.SCOPE_NOT_GRANTED);
    expect(e.details).toEqual({ notConsented: ['birth', 'death'], notGranted: ['address', 'death'] });
  });

  it('refuses every item under an empty consent scope', () => {
    const e = refusal(() =>
      assertDisclosureAllowed(ccss, consent({ scope: [] }), SUBJECT, ['name', 'birth']),
    );
    expect(e.code).toBe(ErrorCode.SCOPE_NOT_GRANTED);
    expect(e.details).toEqual({ notConsented: ['name', 'birth'], notGranted: [] });
  });

  it('refuses every item under an empty grant', () => {
    const m = member({ 'ccss.affiliation': [] });
    const e = refusal(() => assertDisclosureAllowed(m, consent(), SUBJECT, ['name']));
    expect(e.code).toBe(ErrorCode.SCOPE_NOT_GRANTED);
    expect(e.details).toEqual({ notConsented: [], notGranted: ['name'] });
  });

  describe('order of precedence', () => {
    // everything wrong at once, then fixed one check at a time
    const wrong = {
      audience: 'cnap',
      subject: OTHER_SUBJECT,
      purpose: 'unknown.purpose',
      scope: [] as DataItem[],
    };

    it('audience before subject, purpose and scope', () => {
      const c = consent({ audience: wrong.audience, purpose: wrong.purpose, scope: wrong.scope });
      expect(refusal(() => assertDisclosureAllowed(ccss, c, wrong.subject, ['death'])).code).toBe(
        ErrorCode.CONSENT_AUDIENCE_MISMATCH,
      );
    });

    it('subject before purpose and scope', () => {
      const c = consent({ purpose: wrong.purpose, scope: wrong.scope });
      expect(refusal(() => assertDisclosureAllowed(ccss, c, wrong.subject, ['death'])).code).toBe(
        ErrorCode.CONSENT_SUBJECT_MISMATCH,
      );
    });

    it('purpose before scope', () => {
      const c = consent({ purpose: wrong.purpose, scope: wrong.scope });
      expect(refusal(() => assertDisclosureAllowed(ccss, c, SUBJECT, ['death'])).code).toBe(
        ErrorCode.PURPOSE_NOT_ALLOWED,
      );
    });

    it('scope last', () => {
      const c = consent({ scope: wrong.scope });
      expect(refusal(() => assertDisclosureAllowed(ccss, c, SUBJECT, ['death'])).code).toBe(
        ErrorCode.SCOPE_NOT_GRANTED,
      );
    });
  });

  it('allows exactly the requests inside scope ∩ grant (property)', () => {
    const items = fc.subarray([...DATA_ITEMS]) as fc.Arbitrary<DataItem[]>;
    fc.assert(
      fc.property(items, items, items, (scope, grant, requested) => {
        const m = member({ p: grant });
        const c = consent({ purpose: 'p', scope });
        const notConsented = requested.filter((i) => !scope.includes(i));
        const notGranted = requested.filter((i) => !grant.includes(i));
        if (notConsented.length === 0 && notGranted.length === 0) {
          expect(() => assertDisclosureAllowed(m, c, SUBJECT, requested)).not.toThrow();
        } else {
          const e = refusal(() => assertDisclosureAllowed(m, c, SUBJECT, requested));
          expect(e.code).toBe(ErrorCode.SCOPE_NOT_GRANTED);
          expect(e.details).toEqual({ notConsented, notGranted });
        }
      }),
    );
  });
});
