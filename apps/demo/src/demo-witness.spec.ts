import { generateKeyPairSync } from 'node:crypto';
import { COSIGNATURE_V1_TYPE, ed25519PublicKeyBytes, formatVkey } from '@broker/transparency';
import { TrustRegistry, validateTrustDocument } from '@broker/trust';
import { generateSigningKey } from '@broker/testing';
import { DEMO_ISSUER, DEMO_MEMBERS, DEMO_STAFF, demoTrustDocument, type DevKeys } from './demo-trust';
import { demoWitness } from './demo-witness';

async function devKeys(): Promise<DevKeys> {
  const keys: DevKeys = { members: {}, issuers: {}, staff: {} };
  for (const m of DEMO_MEMBERS) keys.members[m.id] = await generateSigningKey('ES256', `${m.id}-k`);
  keys.issuers[DEMO_ISSUER.id] = await generateSigningKey('ES256', 'issuer-k');
  keys.staff![DEMO_STAFF.id] = await generateSigningKey('ES256', 'staff-k');
  return keys;
}

describe('the witness npm start runs', () => {
  it('listens on 4200 unless WITNESS_PORT says otherwise, and moves off a taken default only', () => {
    expect(demoWitness({})).toMatchObject({ port: 4200, portVar: 'WITNESS_PORT', chosen: false });
    expect(demoWitness({ WITNESS_PORT: '4300' })).toMatchObject({
      port: 4300,
      url: 'http://127.0.0.1:4300',
      chosen: true,
    });
    expect(() => demoWitness({ WITNESS_PORT: 'x' })).toThrow(/WITNESS_PORT/);
  });

  it('is named in the demo trust file with a quorum of 1, which the trust loader accepts', async () => {
    const { publicKey } = generateKeyPairSync('ed25519');
    const vkey = formatVkey(
      'witness.dev.broker.local',
      COSIGNATURE_V1_TYPE,
      ed25519PublicKeyBytes(publicKey),
    );
    const witness = { name: 'witness.dev.broker.local', vkey, url: 'http://127.0.0.1:4200' };
    const doc = demoTrustDocument(await devKeys(), undefined, witness);
    expect(doc).toMatchObject({ witnesses: [witness], witnessQuorum: 1 });
    const trust = await TrustRegistry.fromDocument(validateTrustDocument(doc, 'demo-trust.json'));
    expect(trust.witnessPolicy.quorum).toBe(1);
    expect(trust.witnessPolicy.witnesses.map((w) => w.vkey.text)).toEqual([vkey]);
  });

  it('is left out of the trust file when none runs (a quorum of 0, as before)', async () => {
    const doc = demoTrustDocument(await devKeys());
    expect(doc).not.toHaveProperty('witnesses');
    expect(doc).not.toHaveProperty('witnessQuorum');
  });
});
