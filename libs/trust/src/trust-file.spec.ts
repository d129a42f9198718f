import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import type { JWK } from 'jose';
import { stringify as toYaml } from 'yaml';
import { COSIGNATURE_V1_TYPE, ed25519PublicKeyBytes, formatVkey } from '@broker/transparency';
import { generateSigningKey, mintConsent, mintMemberAssertion, type SigningKey } from '@broker/testing';
import { TrustFileError, loadTrustFile, validateTrustDocument } from './trust-file';
import { TrustRegistry, algorithmsForJwk, type TrustDocument } from './trust-registry';

let dir: string;
let es: SigningKey;
let ed: SigningKey;
let issuerKey: SigningKey;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'trust-file-spec-'));
  es = await generateSigningKey('ES256', 'ccss-es-1');
  ed = await generateSigningKey('EdDSA', 'ccss-ed-1');
  issuerKey = await generateSigningKey('ES256', 'mg-1');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function validDoc(): TrustDocument {
  return {
    brokerId: 'lu.broker',
    purposes: [{ code: 'ccss.affiliation', labels: { fr: 'Affiliation', en: 'Affiliation' } }],
    members: [
      {
        id: 'ccss',
        name: 'Centre commun de la sécurité sociale',
        jwks: { keys: [es.publicJwk, ed.publicJwk] },
        grants: [
          { purpose: 'ccss.affiliation', items: ['name', 'birth'] },
          { purpose: 'ccss.affiliation', items: ['address'] },
          { purpose: 'ccss.other', items: [] },
        ],
      },
      { id: 'cnap', name: 'CNAP', jwks: { keys: [{ ...es.publicJwk, kid: 'cnap-1' }] }, grants: [] },
    ],
    consentIssuers: [{ id: 'myguichet', jwks: { keys: [issuerKey.publicJwk] } }],
  };
}

let n = 0;
async function writeDoc(doc: unknown, ext: '.json' | '.yaml' | '.yml' = '.json'): Promise<string> {
  const file = path.join(dir, `trust-${++n}${ext}`);
  await writeFile(file, ext === '.json' ? JSON.stringify(doc, null, 2) : toYaml(doc), 'utf8');
  return file;
}

/** The TrustFileError that loading `doc` from a file raises (fails the test if it loads). */
async function loadError(doc: unknown, ext: '.json' | '.yaml' = '.json'): Promise<TrustFileError> {
  const file = await writeDoc(doc, ext);
  try {
    await loadTrustFile(file);
  } catch (e) {
    if (e instanceof TrustFileError) {
      expect(e.message).toContain(file);
      return e;
    }
    throw e;
  }
  throw new Error('expected a TrustFileError');
}

function withMemberKey(key: Record<string, unknown>): unknown {
  const doc = validDoc();
  doc.members[0].jwks.keys = [key as JWK];
  return doc;
}

function expectLoaded(r: TrustRegistry): void {
  expect(r.brokerId).toBe('lu.broker');
  expect(r.allMembers().map((m) => m.id)).toEqual(['ccss', 'cnap']);
  const ccss = r.member('ccss');
  expect(ccss?.name).toBe('Centre commun de la sécurité sociale');
  expect([...(ccss?.keys.keys() ?? [])]).toEqual(['ccss-es-1', 'ccss-ed-1']);
  expect(ccss?.keys.get('ccss-es-1')?.algorithms).toEqual(['ES256']);
  expect(ccss?.keys.get('ccss-ed-1')?.algorithms).toEqual(['EdDSA', 'Ed25519']);
  // grants of the same purpose are merged
  expect(ccss?.grants.get('ccss.affiliation')).toEqual(new Set(['name', 'birth', 'address']));
  expect(ccss?.grants.get('ccss.other')).toEqual(new Set());
  expect(r.member('nobody')).toBeUndefined();
  expect(r.consentIssuer('myguichet')?.name).toBe('myguichet'); // name defaults to the id
  expect(r.consentIssuer('ccss')).toBeUndefined(); // a member is not an issuer
  expect(r.purposeLabel('ccss.affiliation')).toEqual({ fr: 'Affiliation', en: 'Affiliation' });
  expect(r.purposeLabel('ccss.other')).toBeUndefined();
}

describe('loadTrustFile: valid documents', () => {
  it('loads a JSON file', async () => {
    expectLoaded(await loadTrustFile(await writeDoc(validDoc(), '.json')));
  });

  it('loads a YAML file (.yaml and .yml)', async () => {
    expectLoaded(await loadTrustFile(await writeDoc(validDoc(), '.yaml')));
    expectLoaded(await loadTrustFile(await writeDoc(validDoc(), '.yml')));
  });

  it('loads a hand-written YAML file', async () => {
    const file = path.join(dir, 'hand.yaml');
    const k = es.publicJwk;
    await writeFile(
      file,
      [
        'brokerId: lu.broker',
        'members:',
        '  - id: ccss',
        '    name: CCSS',
        '    jwks:',
        '      keys:',
        `        - { kty: ${k.kty}, crv: ${k.crv}, x: "${k.x}", y: "${k.y}", kid: ${k.kid}, alg: ES256, use: sig }`,
        '    grants:',
        '      - purpose: ccss.affiliation',
        '        items: [name, birth]',
        'consentIssuers: []',
        '',
      ].join('\n'),
      'utf8',
    );
    const r = await loadTrustFile(file);
    expect(r.member('ccss')?.grants.get('ccss.affiliation')).toEqual(new Set(['name', 'birth']));
  });

  it('imports keys that verify real tokens of the registered signers', async () => {
    const r = await loadTrustFile(await writeDoc(validDoc()));
    const { jwtVerify } = await import('jose');
    for (const key of [es, ed]) {
      const token = await mintMemberAssertion(key, 'ccss', 'lu.broker');
      const vk = r.member('ccss')?.keys.get(key.kid);
      expect(vk).toBeDefined();
      const { payload } = await jwtVerify(token, vk!.key, { algorithms: [...vk!.algorithms] });
      expect(payload.iss).toBe('ccss');
    }
    const consent = await mintConsent(issuerKey, {
      issuer: 'myguichet',
      subject: '1980010112345',
      audience: 'ccss',
      purpose: 'ccss.affiliation',
      scope: ['name'],
    });
    const ik = r.consentIssuer('myguichet')?.keys.get('mg-1');
    await expect(jwtVerify(consent, ik!.key, { algorithms: [...ik!.algorithms] })).resolves.toBeDefined();
  });

  it('accepts an Ed25519 key declared with alg Ed25519 or without alg', async () => {
    const { alg: _alg, ...noAlg } = ed.publicJwk;
    const r1 = await loadTrustFile(await writeDoc(withMemberKey({ ...ed.publicJwk, alg: 'Ed25519' })));
    expect(r1.member('ccss')?.keys.get('ccss-ed-1')?.algorithms).toEqual(['EdDSA', 'Ed25519']);
    const r2 = await loadTrustFile(await writeDoc(withMemberKey(noAlg)));
    expect(r2.member('ccss')?.keys.get('ccss-ed-1')?.algorithms).toEqual(['EdDSA', 'Ed25519']);
  });

  it('accepts an EC key without alg and allows only ES256 with it', async () => {
    const { alg: _alg, ...noAlg } = es.publicJwk;
    const r = await loadTrustFile(await writeDoc(withMemberKey(noAlg)));
    expect(r.member('ccss')?.keys.get('ccss-es-1')?.algorithms).toEqual(['ES256']);
  });
});

describe('loadTrustFile: refused documents', () => {
  it('refuses a private key (d), in a member or a consent issuer', async () => {
    const e = await loadError(withMemberKey(es.privateJwk));
    expect(e.message).toContain('/members/0/jwks/keys/0');
    const doc = validDoc();
    doc.consentIssuers[0].jwks.keys = [issuerKey.privateJwk];
    const e2 = await loadError(doc, '.yaml');
    expect(e2.message).toContain('/consentIssuers/0/jwks/keys/0');
  });

  it('refuses a private key even when the schema is bypassed (defence in depth)', async () => {
    const doc = validDoc();
    doc.members[0].jwks.keys = [es.privateJwk];
    await expect(TrustRegistry.fromDocument(doc)).rejects.toThrow(/private part/);
  });

  it('refuses a symmetric key (k)', async () => {
    await loadError(withMemberKey({ kty: 'oct', k: 'c2VjcmV0', kid: 'h-1' }));
  });

  it('refuses an unknown data item in a grant', async () => {
    const doc = validDoc();
    (doc.members[0].grants[0].items as string[]).push('salary');
    const e = await loadError(doc);
    expect(e.message).toContain('/members/0/grants/0/items/2');
  });

  it('refuses a key without kid', async () => {
    const { kid: _kid, ...noKid } = es.publicJwk;
    const e = await loadError(withMemberKey(noKid));
    expect(e.message).toMatch(/\/members\/0\/jwks\/keys\/0 must have required property 'kid'/);
    const doc = validDoc();
    doc.members[0].jwks.keys = [noKid];
    await expect(TrustRegistry.fromDocument(doc)).rejects.toThrow(/every key needs a kid/);
  });

  it('refuses a duplicate member id', async () => {
    const doc = validDoc();
    doc.members[1].id = 'ccss';
    const e = await loadError(doc);
    expect(e.message).toContain('duplicate member id ccss');
  });

  it('refuses a duplicate consent issuer id', async () => {
    const doc = validDoc();
    doc.consentIssuers.push({ ...doc.consentIssuers[0] });
    const e = await loadError(doc);
    expect(e.message).toContain('duplicate consent issuer id myguichet');
  });

  it.each<[string, (doc: TrustDocument, id: string) => void, string]>([
    [
      'a member and a consent issuer',
      (doc, id) => doc.consentIssuers.push({ id, jwks: { keys: [issuerKey.publicJwk] } }),
      'member and consent issuer',
    ],
    [
      'a member and a staff issuer',
      (doc, id) => (doc.staffIssuers = [{ id, jwks: { keys: [issuerKey.publicJwk] } }]),
      'member and staff issuer',
    ],
    [
      'a member and an identity provider',
      (doc, id) => (doc.identityProviders = [{ issuer: id, jwks: { keys: [issuerKey.publicJwk] } }]),
      'member and identity provider',
    ],
  ])('refuses one id used by %s (ids are unique across roles)', async (_label, add, roles) => {
    const doc = validDoc();
    add(doc, 'ccss');
    const e = await loadError(doc);
    expect(e.message).toContain(`duplicate id ccss: both ${roles}`);
  });

  it('refuses one id used by a staff issuer, an identity provider and a consent issuer', async () => {
    const staffAndIssuer = validDoc();
    staffAndIssuer.staffIssuers = [{ id: 'myguichet', jwks: { keys: [es.publicJwk] } }];
    expect((await loadError(staffAndIssuer)).message).toContain(
      'duplicate id myguichet: both staff issuer and consent issuer',
    );
    const providerAndStaff = validDoc();
    providerAndStaff.staffIssuers = [{ id: 'cnpd', jwks: { keys: [es.publicJwk] } }];
    providerAndStaff.identityProviders = [{ issuer: 'cnpd', jwks: { keys: [es.publicJwk] } }];
    expect((await loadError(providerAndStaff)).message).toContain(
      'duplicate id cnpd: both staff issuer and identity provider',
    );
  });

  it('refuses a duplicate kid within one party', async () => {
    const e = await loadError(dupKidDoc());
    expect(e.message).toContain('duplicate kid ccss-es-1');
  });

  it('refuses an RSA key', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
    const e = await loadError(withMemberKey({ ...rsa, kid: 'rsa-1', alg: 'RS256' }));
    expect(e.message).toContain('/members/0/jwks/keys/0/kty');
    expect(() => algorithmsForJwk({ ...rsa, kid: 'rsa-1' } as JWK)).toThrow(/unsupported key type RSA/);
  });

  it('refuses another EC curve (P-384)', async () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' });
    const e = await loadError(withMemberKey({ ...p384, kid: 'p384' }));
    expect(e.message).toContain('/members/0/jwks/keys/0/crv');
  });

  it('refuses a JWK whose alg contradicts its curve', async () => {
    const e1 = await loadError(withMemberKey({ ...es.publicJwk, alg: 'EdDSA' }));
    expect(e1.message).toContain('key ccss-es-1 says alg EdDSA, not ES256');
    const e2 = await loadError(withMemberKey({ ...es.publicJwk, alg: 'Ed25519' }));
    expect(e2.message).toContain('key ccss-es-1 says alg Ed25519, not ES256');
    const e3 = await loadError(withMemberKey({ ...ed.publicJwk, alg: 'ES256' }));
    expect(e3.message).toContain('key ccss-ed-1 says alg ES256, not EdDSA');
  });

  it('refuses a JWK whose kty contradicts its crv', async () => {
    const e1 = await loadError(withMemberKey({ ...es.publicJwk, kty: 'OKP', alg: undefined }));
    expect(e1.message).toContain('unsupported key type OKP/P-256');
    const e2 = await loadError(withMemberKey({ ...ed.publicJwk, kty: 'EC', alg: undefined }));
    expect(e2.message).toContain('unsupported key type EC/Ed25519');
  });

  it('refuses a key that does not import (EC without y)', async () => {
    const { y: _y, ...noY } = es.publicJwk;
    await loadError(withMemberKey(noY));
  });

  it('refuses an encryption key (use enc)', async () => {
    await loadError(withMemberKey({ ...es.publicJwk, use: 'enc' }));
  });

  it('refuses unknown properties and missing required sections', async () => {
    await loadError({ ...validDoc(), extra: true });
    const { consentIssuers: _c, ...noIssuers } = validDoc();
    await loadError(noIssuers);
    const doc = validDoc();
    (doc.members[0] as Record<string, unknown>).role = 'admin';
    await loadError(doc);
  });

  it('refuses ids that do not match the id pattern', async () => {
    const doc = validDoc();
    doc.members[0].id = '../etc';
    const e = await loadError(doc);
    expect(e.message).toContain('/members/0/id');
  });

  it('refuses a member with an empty key set', async () => {
    const doc = validDoc();
    doc.members[0].jwks.keys = [];
    await loadError(doc);
  });

  it('refuses a file that does not parse', async () => {
    const file = path.join(dir, 'broken.json');
    await writeFile(file, '{"brokerId": ', 'utf8');
    await expect(loadTrustFile(file)).rejects.toThrow(TrustFileError);
    await expect(loadTrustFile(file)).rejects.toThrow(/not parseable/);
    const yamlFile = path.join(dir, 'broken.yaml');
    await writeFile(yamlFile, 'brokerId: [unclosed', 'utf8');
    await expect(loadTrustFile(yamlFile)).rejects.toThrow(/not parseable/);
  });
});

describe('validateTrustDocument', () => {
  it('returns a valid document unchanged', () => {
    const doc = validDoc();
    expect(validateTrustDocument(doc)).toBe(doc);
  });

  it('lists several problems at once', () => {
    const doc = validDoc() as unknown as Record<string, unknown>;
    delete doc.brokerId;
    doc.extra = 1;
    let err: unknown;
    try {
      validateTrustDocument(doc, 'label.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrustFileError);
    const message = (err as Error).message;
    expect(message).toContain('trust file label.json is invalid');
    expect(message).toContain("must have required property 'brokerId'");
    expect(message).toContain('must NOT have additional properties');
  });
});

describe('algorithmsForJwk', () => {
  it('maps P-256 to ES256 and Ed25519 to EdDSA/Ed25519 only', () => {
    expect(algorithmsForJwk({ kty: 'EC', crv: 'P-256' })).toEqual(['ES256']);
    expect(algorithmsForJwk({ kty: 'OKP', crv: 'Ed25519' })).toEqual(['EdDSA', 'Ed25519']);
    for (const jwk of [
      { kty: 'EC', crv: 'P-384' },
      { kty: 'OKP', crv: 'X25519' },
      { kty: 'oct' },
      { kty: 'RSA' },
    ]) {
      expect(() => algorithmsForJwk(jwk)).toThrow(/unsupported key type/);
    }
  });
});

function dupKidDoc(): TrustDocument {
  const doc = validDoc();
  doc.members[0].jwks.keys = [es.publicJwk, { ...ed.publicJwk, kid: es.kid }];
  return doc;
}

describe('identityProviders (citizen sign-in)', () => {
  it('loads providers with inline keys or a JWKS endpoint', async () => {
    const doc = validDoc();
    doc.identityProviders = [
      { issuer: 'https://login.example.lu', name: 'LuxTrust (test)', jwks: { keys: [es.publicJwk] } },
      { issuer: 'https://idp.example.lu/realms/citizens', jwksUri: 'https://idp.example.lu/certs' },
    ];
    const r = await loadTrustFile(await writeDoc(doc));
    expect(r.identityProviders().map((p) => p.issuer)).toEqual([
      'https://login.example.lu',
      'https://idp.example.lu/realms/citizens',
    ]);
    const inline = r.identityProvider('https://login.example.lu')!;
    expect(inline.name).toBe('LuxTrust (test)');
    expect([...inline.keys!.keys()]).toEqual([es.kid]);
    expect(inline.keys!.get(es.kid)!.algorithms).toEqual(['ES256']);
    const remote = r.identityProvider('https://idp.example.lu/realms/citizens')!;
    expect(remote).toMatchObject({ jwksUri: 'https://idp.example.lu/certs', name: remote.issuer });
    expect(remote.keys).toBeUndefined();
    expect(r.identityProvider('https://other.example.lu')).toBeUndefined();
  });

  it('has none when the section is absent', async () => {
    expect((await loadTrustFile(await writeDoc(validDoc()))).identityProviders()).toEqual([]);
  });

  it.each<[string, unknown]>([
    ['neither jwks nor jwksUri', { issuer: 'https://a.example' }],
    [
      'both jwks and jwksUri',
      { issuer: 'https://a.example', jwks: { keys: [{}] }, jwksUri: 'https://a.example/k' },
    ],
    ['a jwksUri that is not http(s)', { issuer: 'https://a.example', jwksUri: 'file:///etc/keys.json' }],
    ['an empty issuer', { issuer: '', jwksUri: 'https://a.example/k' }],
    [
      'an unknown property',
      { issuer: 'https://a.example', jwksUri: 'https://a.example/k', clientSecret: 'x' },
    ],
  ])('refuses a provider with %s', async (_label, provider) => {
    const doc = { ...validDoc(), identityProviders: [provider] };
    const e = await loadError(doc);
    expect(e.message).toContain('/identityProviders/0');
  });

  it('refuses a private key and a duplicate issuer', async () => {
    const priv = {
      ...validDoc(),
      identityProviders: [{ issuer: 'https://a.example', jwks: { keys: [es.privateJwk] } }],
    };
    await loadError(priv);
    const dup = validDoc();
    dup.identityProviders = [
      { issuer: 'https://a.example', jwksUri: 'https://a.example/k' },
      { issuer: 'https://a.example', jwks: { keys: [es.publicJwk] } },
    ];
    expect((await loadError(dup)).message).toContain('duplicate identity provider https://a.example');
  });
});

describe('loadTrustFile: witnesses of the transparency log', () => {
  const witnessVkey = (name: string, type = COSIGNATURE_V1_TYPE): string => {
    const { privateKey } = generateKeyPairSync('ed25519');
    return formatVkey(name, type, ed25519PublicKeyBytes(privateKey));
  };
  const withWitnesses = (witnesses: TrustDocument['witnesses'], quorum?: number): TrustDocument => ({
    ...validDoc(),
    witnesses,
    ...(quorum === undefined ? {} : { witnessQuorum: quorum }),
  });

  it('has no witnesses and a quorum of 0 by default', async () => {
    const r = await loadTrustFile(await writeDoc(validDoc()));
    expect(r.witnessPolicy).toEqual({ witnesses: [], quorum: 0 });
  });

  it('loads witnesses with their cosignature keys and quorum', async () => {
    const vkey = witnessVkey('witness.example.lu/w1');
    const doc = withWitnesses([{ name: 'witness.example.lu/w1', vkey, url: 'http://127.0.0.1:4200/' }], 1);
    const r = await loadTrustFile(await writeDoc(doc));
    expect(r.witnessPolicy.quorum).toBe(1);
    expect(r.witnessPolicy.witnesses[0]).toMatchObject({
      name: 'witness.example.lu/w1',
      url: 'http://127.0.0.1:4200',
    });
    expect(r.witnessPolicy.witnesses[0].vkey.text).toBe(vkey);
  });

  it.each([
    ['a quorum above the witnesses', 2, 'witnessQuorum must be from 1 to 1'],
    ['a quorum of 0 with witnesses', 0, 'witnessQuorum must be from 1 to 1'],
    ['no quorum with witnesses', undefined, 'witnessQuorum is required'],
  ])('refuses %s', async (_label, quorum, message) => {
    const doc = withWitnesses([{ name: 'w1', vkey: witnessVkey('w1'), url: 'http://127.0.0.1:1' }], quorum);
    expect((await loadError(doc)).message).toContain(message);
  });

  it('refuses a log key (type 0x01), a name other than the key name and a bad key ID', async () => {
    const log = withWitnesses([{ name: 'w1', vkey: witnessVkey('w1', 0x01), url: 'http://127.0.0.1:1' }], 1);
    expect((await loadError(log)).message).toContain('not a tlog-cosignature v1 key');
    const other = withWitnesses([{ name: 'w1', vkey: witnessVkey('w2'), url: 'http://127.0.0.1:1' }], 1);
    expect((await loadError(other)).message).toContain('its vkey names w2');
    const v = witnessVkey('w1');
    const badId = withWitnesses(
      [{ name: 'w1', vkey: v.replace(/\+[0-9a-f]{8}\+/, '+00000000+'), url: 'http://x' }],
      1,
    );
    expect((await loadError(badId)).message).toContain('key ID');
  });

  it('refuses a quorum without witnesses and a duplicate witness', async () => {
    expect((await loadError({ ...validDoc(), witnessQuorum: 1 })).message).toContain('there are none');
    const v = witnessVkey('w1');
    const dup = withWitnesses(
      [
        { name: 'w1', vkey: v, url: 'http://127.0.0.1:1' },
        { name: 'w1', vkey: v, url: 'http://127.0.0.1:2' },
      ],
      1,
    );
    expect((await loadError(dup)).message).toContain('duplicate witness w1');
  });
});
