import { importJWK, type JWK } from 'jose';
import { DataItem } from '@broker/data-items';
import { COSIGNATURE_V1_TYPE, NoteFormatError, parseVkey, type Vkey } from '@broker/transparency';

/** A public key a token may be verified with, and the only algorithms allowed with it. */
export interface VerificationKey {
  kid: string;
  algorithms: readonly string[];
  key: Awaited<ReturnType<typeof importJWK>>;
}

/** A registered administration. */
export interface Member {
  id: string;
  name: string;
  keys: ReadonlyMap<string, VerificationKey>;
  /** Registered URL for signed batch-job notices (none: the member polls batchJob). */
  batchCallbackUrl?: string;
  /** purpose code -> data items the member may receive for it */
  grants: ReadonlyMap<string, ReadonlySet<DataItem>>;
  /** The member's own limits from the trust file; each one left out is the broker's default (QUOTA_*). */
  quota?: MemberQuota;
}

/** A member's quota (trust file `quota`): positive integers, validated by the schema. */
export interface MemberQuota {
  requestsPerSecond?: number;
  concurrentJobs?: number;
}

/** A service whose consent tokens the broker accepts. */
export interface ConsentIssuer {
  id: string;
  name: string;
  keys: ReadonlyMap<string, VerificationKey>;
}

/**
 * An OpenID Connect provider whose ID tokens sign citizens in: keys from the trust file
 * (`keys`) or fetched from its JWKS endpoint (`jwksUri`, by the citizen authenticator).
 */
export interface IdentityProvider {
  issuer: string;
  name: string;
  keys?: ReadonlyMap<string, VerificationKey>;
  jwksUri?: string;
}

export interface TrustDocument {
  brokerId: string;
  purposes?: { code: string; labels?: Record<string, string> }[];
  members: {
    id: string;
    name: string;
    jwks: { keys: JWK[] };
    batchCallbackUrl?: string;
    grants: { purpose: string; items: DataItem[] }[];
    quota?: MemberQuota;
  }[];
  consentIssuers: { id: string; name?: string; jwks: { keys: JWK[] } }[];
  identityProviders?: { issuer: string; name?: string; jwks?: { keys: JWK[] }; jwksUri?: string }[];
  staffIssuers?: { id: string; name?: string; jwks: { keys: JWK[] } }[];
  witnesses?: { name: string; vkey: string; url: string }[];
  witnessQuorum?: number;
}

/** A witness of the transparency log: its cosignature key (type 0x04) and where it listens. */
export interface TrustedWitness {
  name: string;
  vkey: Vkey;
  /** Base URL, without a trailing slash. */
  url: string;
}

/** Who witnesses the transparency log, and how many cosignatures a checkpoint needs to be published. */
export interface WitnessPolicy {
  witnesses: readonly TrustedWitness[];
  quorum: number;
}

/** The trust configuration in force: members, consent issuers, and their keys by kid. */
export class TrustRegistry {
  private constructor(
    readonly brokerId: string,
    private readonly members: ReadonlyMap<string, Member>,
    private readonly issuers: ReadonlyMap<string, ConsentIssuer>,
    private readonly purposeLabels: ReadonlyMap<string, Record<string, string>>,
    private readonly staff: ReadonlyMap<string, ConsentIssuer>,
    private readonly providers: ReadonlyMap<string, IdentityProvider> = new Map(),
    /** The transparency log's witnesses and quorum (none and 0 by default). */
    readonly witnessPolicy: WitnessPolicy = { witnesses: [], quorum: 0 },
  ) {}

  /** Builds a registry from a schema-valid document (keys are imported once, here). */
  static async fromDocument(doc: TrustDocument): Promise<TrustRegistry> {
    assertUniqueIds(doc);
    const members = new Map<string, Member>();
    for (const m of doc.members) {
      if (members.has(m.id)) throw new Error(`duplicate member id ${m.id}`);
      const grants = new Map<string, Set<DataItem>>();
      for (const g of m.grants) {
        const set = grants.get(g.purpose) ?? new Set<DataItem>();
        g.items.forEach((i) => set.add(i));
        grants.set(g.purpose, set);
      }
      members.set(m.id, {
        id: m.id,
        name: m.name,
        keys: await importKeys(m.jwks.keys, `member ${m.id}`),
        batchCallbackUrl: m.batchCallbackUrl,
        grants,
        ...(m.quota ? { quota: { ...m.quota } } : {}),
      });
    }
    const issuers = new Map<string, ConsentIssuer>();
    for (const i of doc.consentIssuers) {
      if (issuers.has(i.id)) throw new Error(`duplicate consent issuer id ${i.id}`);
      issuers.set(i.id, {
        id: i.id,
        name: i.name ?? i.id,
        keys: await importKeys(i.jwks.keys, `issuer ${i.id}`),
      });
    }
    const labels = new Map((doc.purposes ?? []).map((p) => [p.code, p.labels ?? {}]));
    const staff = new Map<string, ConsentIssuer>();
    for (const i of doc.staffIssuers ?? []) {
      if (staff.has(i.id)) throw new Error(`duplicate staff issuer id ${i.id}`);
      staff.set(i.id, {
        id: i.id,
        name: i.name ?? i.id,
        keys: await importKeys(i.jwks.keys, `staff issuer ${i.id}`),
      });
    }
    const providers = new Map<string, IdentityProvider>();
    for (const p of doc.identityProviders ?? []) {
      if (providers.has(p.issuer)) throw new Error(`duplicate identity provider ${p.issuer}`);
      if (!p.jwks === !p.jwksUri) throw new Error(`identity provider ${p.issuer}: give jwks or jwksUri`);
      providers.set(p.issuer, {
        issuer: p.issuer,
        name: p.name ?? p.issuer,
        keys: p.jwks ? await importKeys(p.jwks.keys, `identity provider ${p.issuer}`) : undefined,
        jwksUri: p.jwksUri,
      });
    }
    return new TrustRegistry(doc.brokerId, members, issuers, labels, staff, providers, witnessPolicy(doc));
  }

  /** The member with this id, if registered. */
  member(id: string): Member | undefined {
    return this.members.get(id);
  }

  /** The consent issuer with this id, if trusted. */
  consentIssuer(id: string): ConsentIssuer | undefined {
    return this.issuers.get(id);
  }

  /** The staff issuer (auditor tokens) with this id, if trusted. */
  staffIssuer(id: string): ConsentIssuer | undefined {
    return this.staff.get(id);
  }

  /** The identity provider (citizen sign-in) with this issuer, if trusted. */
  identityProvider(issuer: string): IdentityProvider | undefined {
    return this.providers.get(issuer);
  }

  /** All identity providers of the trust file. */
  identityProviders(): IdentityProvider[] {
    return [...this.providers.values()];
  }

  /** All members (for listings and the demo). */
  allMembers(): Member[] {
    return [...this.members.values()];
  }

  /** Human-readable labels of a purpose code, when configured. */
  purposeLabel(code: string): Record<string, string> | undefined {
    return this.purposeLabels.get(code);
  }
}

/**
 * One id, one role: a member, staff issuer, identity provider or consent issuer id appears once
 * in the whole file, so that the issuer of a token names the only keys that may have signed it
 * and a token of one kind can never be checked as another kind (RFC 8725 §3.12).
 */
function assertUniqueIds(doc: TrustDocument): void {
  const roles = new Map<string, string>();
  const ids: [string, string[]][] = [
    ['member', doc.members.map((m) => m.id)],
    ['staff issuer', (doc.staffIssuers ?? []).map((s) => s.id)],
    ['identity provider', (doc.identityProviders ?? []).map((p) => p.issuer)],
    ['consent issuer', doc.consentIssuers.map((i) => i.id)],
  ];
  for (const [role, list] of ids) {
    for (const id of list) {
      const earlier = roles.get(id);
      // a repeat within one role is reported by that role's own check below
      if (earlier && earlier !== role)
        throw new Error(`duplicate id ${id}: both ${earlier} and ${role} (ids are unique across roles)`);
      roles.set(id, role);
    }
  }
}

/**
 * The witnesses and quorum of a schema-valid document: each vkey a cosignature key (type 0x04)
 * whose name is the witness's name, names and keys unique, and a quorum from 1 to the number of
 * witnesses (required when there are any; 0 when there are none).
 */
function witnessPolicy(doc: TrustDocument): WitnessPolicy {
  const witnesses: TrustedWitness[] = [];
  for (const w of doc.witnesses ?? []) {
    let vkey: Vkey;
    try {
      vkey = parseVkey(w.vkey);
    } catch (e) {
      if (e instanceof NoteFormatError) throw new Error(`witness ${w.name}: ${e.message}`);
      throw e;
    }
    if (vkey.type !== COSIGNATURE_V1_TYPE)
      throw new Error(`witness ${w.name}: its vkey is not a tlog-cosignature v1 key (type 0x04)`);
    if (vkey.name !== w.name) throw new Error(`witness ${w.name}: its vkey names ${vkey.name}`);
    if (witnesses.some((o) => o.name === w.name)) throw new Error(`duplicate witness ${w.name}`);
    if (witnesses.some((o) => o.vkey.publicKey.equals(vkey.publicKey)))
      throw new Error(`witness ${w.name}: the same key as another witness`);
    witnesses.push({ name: w.name, vkey, url: w.url.replace(/\/+$/, '') });
  }
  const quorum = doc.witnessQuorum;
  if (witnesses.length === 0) {
    if (quorum !== undefined && quorum !== 0)
      throw new Error(`witnessQuorum ${quorum} needs as many witnesses; there are none`);
    return { witnesses, quorum: 0 };
  }
  if (quorum === undefined) throw new Error('witnessQuorum is required when witnesses are given');
  if (!Number.isInteger(quorum) || quorum < 1 || quorum > witnesses.length)
    throw new Error(`witnessQuorum must be from 1 to ${witnesses.length} (the witnesses), got ${quorum}`);
  return { witnesses, quorum };
}

/** The algorithms a JWK may be used with (RFC 8725: one key, one algorithm family). */
export function algorithmsForJwk(jwk: JWK): string[] {
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return ['ES256'];
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return ['EdDSA', 'Ed25519'];
  throw new Error(`unsupported key type ${jwk.kty}/${jwk.crv}: only EC P-256 and OKP Ed25519 are accepted`);
}

async function importKeys(jwks: JWK[], owner: string): Promise<Map<string, VerificationKey>> {
  const keys = new Map<string, VerificationKey>();
  for (const jwk of jwks) {
    const kid = jwk.kid;
    if (!kid) throw new Error(`${owner}: every key needs a kid`);
    if (keys.has(kid)) throw new Error(`${owner}: duplicate kid ${kid}`);
    if ('d' in jwk)
      throw new Error(`${owner}: key ${kid} has a private part; trust files hold public keys only`);
    const family = algorithmsForJwk(jwk);
    if (jwk.alg && !family.includes(jwk.alg))
      throw new Error(`${owner}: key ${kid} says alg ${jwk.alg}, not ${family[0]}`);
    const algorithms = jwk.alg ? (jwk.alg === 'ES256' ? ['ES256'] : ['EdDSA', 'Ed25519']) : family;
    const { d: _d, ...pub } = jwk as JWK & { d?: string };
    const key = await importJWK({ ...pub, ext: true }, algorithms[0]);
    keys.set(kid, { kid, algorithms, key });
  }
  return keys;
}
