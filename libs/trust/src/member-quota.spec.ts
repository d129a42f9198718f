import { generateSigningKey, type SigningKey } from '@broker/testing';
import { TrustFileError, validateTrustDocument } from './trust-file';
import { TrustRegistry, type TrustDocument } from './trust-registry';

let key: SigningKey;

beforeAll(async () => {
  key = await generateSigningKey('ES256', 'm-1');
});

function doc(quota?: unknown): TrustDocument {
  return {
    brokerId: 'lu.broker',
    members: [
      {
        id: 'ccss',
        name: 'CCSS',
        jwks: { keys: [key.publicJwk] },
        grants: [],
        ...(quota === undefined ? {} : { quota }),
      } as TrustDocument['members'][number],
    ],
    consentIssuers: [{ id: 'myguichet', jwks: { keys: [{ ...key.publicJwk, kid: 'i-1' }] } }],
  };
}

/** The problems listed by validateTrustDocument for `d` (fails the test when it is valid). */
function problems(d: TrustDocument): string {
  try {
    validateTrustDocument(d, 'trust.json');
  } catch (e) {
    expect(e).toBeInstanceOf(TrustFileError);
    return (e as Error).message;
  }
  throw new Error('the document was accepted');
}

describe('trust file: a member quota', () => {
  it('loads a member quota, and none when the member sets none', async () => {
    const withQuota = await TrustRegistry.fromDocument(
      validateTrustDocument(doc({ requestsPerSecond: 5, concurrentJobs: 2 })),
    );
    expect(withQuota.member('ccss')?.quota).toEqual({ requestsPerSecond: 5, concurrentJobs: 2 });
    const partial = await TrustRegistry.fromDocument(validateTrustDocument(doc({ concurrentJobs: 1 })));
    expect(partial.member('ccss')?.quota).toEqual({ concurrentJobs: 1 });
    const none = await TrustRegistry.fromDocument(validateTrustDocument(doc()));
    expect(none.member('ccss')?.quota).toBeUndefined();
  });

  it('refuses a limit that is not a positive integer, naming the member and the limit', () => {
    expect(problems(doc({ requestsPerSecond: 0 }))).toContain(
      '/members/0/quota/requestsPerSecond must be >= 1',
    );
    expect(problems(doc({ concurrentJobs: -1 }))).toContain('/members/0/quota/concurrentJobs must be >= 1');
    expect(problems(doc({ requestsPerSecond: 2.5 }))).toContain(
      '/members/0/quota/requestsPerSecond must be integer',
    );
    expect(problems(doc({ concurrentJobs: '4' }))).toContain(
      '/members/0/quota/concurrentJobs must be integer',
    );
  });

  it('refuses an empty quota and an unknown limit, naming it', () => {
    expect(problems(doc({}))).toContain('/members/0/quota must NOT have fewer than 1 properties');
    expect(problems(doc({ requestsPerMinute: 60 }))).toContain(
      '/members/0/quota must NOT have additional properties (requestsPerMinute)',
    );
  });
});
