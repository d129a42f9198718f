import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { TrustDocument } from '@broker/trust';
import { generateSigningKey, type SigningKey } from './token-minter';

export const GRANTED_PURPOSE = 'P-TEST';
export const OTHER_PURPOSE = 'P-OTHER';

/** A broker id, two members (ES256, EdDSA) and two consent issuers (ES256, EdDSA), keys made in the test. */
export interface TrustFixture {
  brokerId: string;
  m1: { id: string; key: SigningKey; items: string[] };
  m2: { id: string; key: SigningKey; items: string[] };
  i1: { id: string; key: SigningKey };
  i2: { id: string; key: SigningKey };
  /** A staff issuer for auditor tokens. */
  s1: { id: string; key: SigningKey };
  /** An identity provider for citizen ID tokens (issuer URL, inline JWKS). */
  idp: { issuer: string; key: SigningKey };
  doc: TrustDocument;
  file: string;
}

/** Generates the fixture's keys and writes its trust file into `dir`. */
export async function makeTrustFixture(dir: string): Promise<TrustFixture> {
  const tag = Math.random().toString(36).slice(2, 8);
  const m1 = {
    id: `member-one-${tag}`,
    key: await generateSigningKey('ES256', `m1-${tag}`),
    items: ['name', 'birth', 'address'],
  };
  const m2 = {
    id: `member-two-${tag}`,
    key: await generateSigningKey('EdDSA', `m2-${tag}`),
    items: ['name', 'civilStatus'],
  };
  const i1 = { id: `issuer-es-${tag}`, key: await generateSigningKey('ES256', `i1-${tag}`) };
  const i2 = { id: `issuer-ed-${tag}`, key: await generateSigningKey('EdDSA', `i2-${tag}`) };
  const s1 = { id: `staff-${tag}`, key: await generateSigningKey('ES256', `s1-${tag}`) };
  const idp = {
    issuer: `https://idp-${tag}.test.invalid`,
    key: await generateSigningKey('ES256', `idp-${tag}`),
  };
  const doc = {
    brokerId: `broker-test-${tag}`,
    members: [
      {
        id: m1.id,
        name: 'Test member one',
        jwks: { keys: [m1.key.publicJwk] },
        grants: [{ purpose: GRANTED_PURPOSE, items: m1.items }],
      },
      {
        id: m2.id,
        name: 'Test member two',
        jwks: { keys: [m2.key.publicJwk] },
        grants: [{ purpose: OTHER_PURPOSE, items: m2.items }],
      },
    ],
    consentIssuers: [
      { id: i1.id, jwks: { keys: [i1.key.publicJwk] } },
      { id: i2.id, jwks: { keys: [i2.key.publicJwk] } },
    ],
    staffIssuers: [{ id: s1.id, jwks: { keys: [s1.key.publicJwk] } }],
    identityProviders: [
      { issuer: idp.issuer, name: 'Test identity provider', jwks: { keys: [idp.key.publicJwk] } },
    ],
  } as TrustDocument;
  const file = path.join(dir, 'trust.json');
  await writeFile(file, JSON.stringify(doc, null, 2));
  return { brokerId: doc.brokerId, m1, m2, i1, i2, s1, idp, doc, file };
}
