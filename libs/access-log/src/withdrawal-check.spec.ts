import type { QueryRunner } from 'typeorm';
import type { NewAccessEntry } from './access-entry';
import { consentKey, refuseWithdrawn, type ConsentKey, type WithdrawalCheck } from './withdrawal-check';

function entry(over: Partial<NewAccessEntry>): NewAccessEntry {
  return {
    occurredAt: new Date('2026-12-01T10:00:00Z'),
    channel: 'sync',
    memberId: 'ccss',
    purpose: 'P',
    consentIssuer: 'myguichet',
    consentJti: 'j-1',
    subject: '1893120105732',
    itemsRequested: ['name'],
    itemsDisclosed: ['name'],
    outcome: 'DISCLOSED',
    reasonCode: null,
    source: 'rnpp',
    correlationId: 'c-1',
    jobId: null,
    ...over,
  };
}

/** A withdrawal check over a fixed set, recording what it was asked. */
function withdrawalsOf(withdrawn: ConsentKey[]): WithdrawalCheck & { asked: ConsentKey[][] } {
  const keys = new Set(withdrawn.map(consentKey));
  const asked: ConsentKey[][] = [];
  return {
    asked,
    async withdrawnAmong(_q, consents) {
      asked.push([...consents]);
      return new Set(consents.map(consentKey).filter((k) => keys.has(k)));
    },
  };
}

const q = {} as QueryRunner;

describe('refuseWithdrawn (the last consent check, in the append transaction)', () => {
  it('turns a disclosure under a withdrawn consent into a CONSENT_REVOKED refusal with nothing disclosed', async () => {
    const check = withdrawalsOf([{ issuer: 'myguichet', jti: 'j-1' }]);
    const [e] = await refuseWithdrawn(q, check, [entry({})]);
    expect(e).toMatchObject({ outcome: 'REFUSED', reasonCode: 'CONSENT_REVOKED', itemsDisclosed: [] });
    expect(e).toMatchObject({ consentIssuer: 'myguichet', consentJti: 'j-1', itemsRequested: ['name'] });
  });

  it('keys withdrawals by issuer and jti: another issuer’s withdrawal of the same jti changes nothing', async () => {
    const check = withdrawalsOf([{ issuer: 'other', jti: 'j-1' }]);
    const [e] = await refuseWithdrawn(q, check, [entry({})]);
    expect(e.outcome).toBe('DISCLOSED');
  });

  it('asks once for all the disclosures of the batch, and leaves refusals and consent-less entries alone', async () => {
    const check = withdrawalsOf([
      { issuer: 'myguichet', jti: 'j-2' },
      { issuer: 'myguichet', jti: 'j-3' },
    ]);
    const entries = [
      entry({ consentJti: 'j-1' }),
      entry({ consentJti: 'j-2' }),
      entry({ consentJti: 'j-3', outcome: 'REFUSED', itemsDisclosed: [], reasonCode: 'SCOPE_NOT_GRANTED' }),
      entry({ channel: 'audit', consentIssuer: null, consentJti: null }),
    ];
    const out = await refuseWithdrawn(q, check, entries);
    expect(out.map((e) => [e.outcome, e.reasonCode])).toEqual([
      ['DISCLOSED', null],
      ['REFUSED', 'CONSENT_REVOKED'],
      ['REFUSED', 'SCOPE_NOT_GRANTED'],
      ['DISCLOSED', null],
    ]);
    expect(check.asked).toEqual([
      [
        { issuer: 'myguichet', jti: 'j-1' },
        { issuer: 'myguichet', jti: 'j-2' },
      ],
    ]);
  });

  it('asks nothing when no entry discloses under a consent', async () => {
    const check = withdrawalsOf([]);
    await refuseWithdrawn(q, check, [entry({ outcome: 'REFUSED', itemsDisclosed: [], reasonCode: 'X' })]);
    expect(check.asked).toEqual([]);
  });
});
