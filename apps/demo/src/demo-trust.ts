import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { DEV_IDP_ISSUER, DEV_IDP_NAME, type DevIdpKey } from '@broker/citizen';
import type { TrustDocument } from '@broker/trust';
import { generateSigningKey, type SigningKey } from '@broker/testing';

/** Local state of the demo (gitignored): dev keys, generated trust file, embedded PostgreSQL. */
export const DATA_DIR = path.resolve(process.cwd(), '.data');
export const DEV_KEYS_FILE = path.join(DATA_DIR, 'dev-keys.json');
export const DEMO_TRUST_PATH = path.join(DATA_DIR, 'demo-trust.json');
/** The same members and issuers without the demo identity provider: a trust file production mode accepts (docker compose). */
export const DEMO_TRUST_NO_IDP_PATH = path.join(DATA_DIR, 'demo-trust-without-idp.json');

export const DEMO_BROKER_ID = 'lu.once-only.demo-broker';

/** The demo's administrations, their purposes and grants. */
export const DEMO_MEMBERS = [
  {
    id: 'ccss',
    name: 'Centre commun de la sécurité sociale',
    grants: [
      {
        purpose: 'SOCIAL-SECURITY-AFFILIATION',
        items: ['name', 'birth', 'sex', 'nationality', 'address', 'civilStatus'],
      },
    ],
  },
  {
    id: 'cae',
    name: "Caisse pour l'avenir des enfants",
    grants: [{ purpose: 'FAMILY-ALLOWANCE', items: ['name', 'birth', 'address', 'filiation'] }],
  },
  {
    id: 'adem',
    name: "Agence pour le développement de l'emploi",
    grants: [{ purpose: 'JOBSEEKER-REGISTRATION', items: ['name', 'birth', 'address', 'nationality'] }],
  },
] as const;

export const DEMO_PURPOSES = [
  {
    code: 'SOCIAL-SECURITY-AFFILIATION',
    labels: {
      en: 'Registering you with social security',
      fr: 'Vous affilier à la sécurité sociale',
      de: 'Ihre Anmeldung bei der Sozialversicherung',
      lb: 'Är Umeldung bei der Sozialversécherung',
    },
  },
  {
    code: 'FAMILY-ALLOWANCE',
    labels: {
      en: 'Paying family allowance',
      fr: 'Verser les allocations familiales',
      de: 'Zahlung des Kindergelds',
      lb: 'Bezuelung vun de Familljenallocatiounen',
    },
  },
  {
    code: 'JOBSEEKER-REGISTRATION',
    labels: {
      en: 'Registering you as a job seeker',
      fr: 'Vous inscrire comme demandeur d’emploi',
      de: 'Ihre Anmeldung als Arbeitsuchende(r)',
      lb: 'Är Umeldung als Aarbechtsufroer',
    },
  },
];

export const DEMO_ISSUER = { id: 'myguichet-consent', name: 'MyGuichet.lu consent service' };

/** The demo's staff issuer, whose auditor tokens `npm run demo:audit` mints. */
export const DEMO_STAFF = {
  id: 'cnpd-staff',
  name: 'Commission nationale pour la protection des données (demo)',
};

export interface DevKeys {
  members: Record<string, SigningKey>;
  issuers: Record<string, SigningKey>;
  /** Added after the first release of the demo: generated on demand for older .data/ folders. */
  staff?: Record<string, SigningKey>;
}

/** Loads the dev keys, generating them at first start (private keys stay in .data/, mode 0600). */
export async function ensureDevKeys(): Promise<DevKeys> {
  if (existsSync(DEV_KEYS_FILE)) {
    const known = JSON.parse(await readFile(DEV_KEYS_FILE, 'utf8')) as DevKeys;
    if (known.staff?.[DEMO_STAFF.id]) return known;
    known.staff = {
      [DEMO_STAFF.id]: await generateSigningKey('ES256', `${DEMO_STAFF.id}-dev-${Date.now().toString(36)}`),
    };
    await writeFile(DEV_KEYS_FILE, JSON.stringify(known, null, 2), { mode: 0o600 });
    return known;
  }
  await mkdir(DATA_DIR, { recursive: true });
  const keys: DevKeys = { members: {}, issuers: {} };
  for (const [i, m] of DEMO_MEMBERS.entries()) {
    keys.members[m.id] = await generateSigningKey(
      i % 2 === 0 ? 'ES256' : 'EdDSA',
      `${m.id}-dev-${Date.now().toString(36)}`,
    );
  }
  keys.issuers[DEMO_ISSUER.id] = await generateSigningKey(
    'ES256',
    `${DEMO_ISSUER.id}-dev-${Date.now().toString(36)}`,
  );
  keys.staff = {
    [DEMO_STAFF.id]: await generateSigningKey('ES256', `${DEMO_STAFF.id}-dev-${Date.now().toString(36)}`),
  };
  await writeFile(DEV_KEYS_FILE, JSON.stringify(keys, null, 2), { mode: 0o600 });
  await chmod(DEV_KEYS_FILE, 0o600);
  return keys;
}

/** A witness of the demo's transparency log, as the trust file names it. */
export interface DemoWitness {
  name: string;
  /** Its cosignature vkey (type 0x04). */
  vkey: string;
  url: string;
}

/** The demo trust document built from the dev keys' public halves (and the demo identity provider's, and the witness's). */
export function demoTrustDocument(keys: DevKeys, idp?: DevIdpKey, witness?: DemoWitness): TrustDocument {
  return {
    brokerId: DEMO_BROKER_ID,
    purposes: DEMO_PURPOSES,
    members: DEMO_MEMBERS.map((m) => ({
      id: m.id,
      name: m.name,
      jwks: { keys: [keys.members[m.id].publicJwk] },
      grants: m.grants.map((g) => ({ purpose: g.purpose, items: [...g.items] })),
    })),
    consentIssuers: [
      {
        id: DEMO_ISSUER.id,
        name: DEMO_ISSUER.name,
        jwks: { keys: [keys.issuers[DEMO_ISSUER.id].publicJwk] },
      },
    ],
    staffIssuers: [
      { id: DEMO_STAFF.id, name: DEMO_STAFF.name, jwks: { keys: [keys.staff![DEMO_STAFF.id].publicJwk] } },
    ],
    // the citizen page's demo sign-in; the gateway refuses this issuer in production mode
    ...(idp
      ? {
          identityProviders: [
            { issuer: DEV_IDP_ISSUER, name: DEV_IDP_NAME, jwks: { keys: [idp.publicJwk] } },
          ],
        }
      : {}),
    // the transparency log publishes a checkpoint once the witness cosigned it
    ...(witness ? { witnesses: [witness], witnessQuorum: 1 } : {}),
  };
}

/**
 * Writes .data/demo-trust.json (only used when BROKER_TRUST_FILE is not set), naming the demo's
 * witness, and its variant without the demo identity provider (docker compose, which runs no
 * witness of the demo's).
 */
export async function writeDemoTrustFile(
  keys: DevKeys,
  idp?: DevIdpKey,
  witness?: DemoWitness,
): Promise<string> {
  await mkdir(DATA_DIR, { recursive: true });
  await writeFile(DEMO_TRUST_PATH, JSON.stringify(demoTrustDocument(keys, idp, witness), null, 2));
  await writeFile(DEMO_TRUST_NO_IDP_PATH, JSON.stringify(demoTrustDocument(keys), null, 2));
  return DEMO_TRUST_PATH;
}
