/**
 * The RCS simulator's register: companies, and the roles persons of the RNPP simulator hold in
 * them. Companies are a fixed table drawn from the seed; a person's roles are derived on demand
 * from the person's RNPP record and a random stream seeded by the matricule, so nothing per person
 * is stored and the register has exactly the RNPP simulator's persons for the same (size, seed).
 */
import type { RnppPerson } from '../../../libs/sources/src/rnpp/rnpp-person';
import { type Population, REGISTER_DATE } from '../../rnpp-simulator/src/population';
import { pick, type Random, seededRandom } from '@broker/simulation';

/**
 * MANAGER: gérant (S.à r.l., partnerships); DIRECTOR: administrateur (S.A.); PARTNER: associé;
 * DAILY_MANAGER: délégué à la gestion journalière (S.A.); AUDITOR: commissaire aux comptes (S.A.).
 */
export const ROLES = ['MANAGER', 'DIRECTOR', 'PARTNER', 'DAILY_MANAGER', 'AUDITOR'] as const;
export type Role = (typeof ROLES)[number];

export interface BusinessRole {
  /** `B` and 5 or 6 digits: the RCS number of a commercial company. */
  rcsNumber: string;
  companyName: string;
  role: Role;
  /** YYYY-MM-DD. */
  since: string;
}

export interface Company {
  rcsNumber: string;
  name: string;
  /** YYYY-MM-DD. */
  incorporated: string;
  roles: readonly Role[];
}

export interface RoleRegister {
  readonly size: number;
  /** The person's roles, oldest first (usually none), or undefined for an unknown matricule. */
  rolesOf(matricule: string): BusinessRole[] | undefined;
}

/** Among living adults; with the population's age pyramid this makes about one person in ten. */
const ROLE_HOLDER_SHARE = 0.125;
const MS_PER_DAY = 86_400_000;
const REGISTER_DAY = Date.parse(REGISTER_DATE) / MS_PER_DAY;

const PLACES = [
  'Alzette',
  'Moselle',
  'Kirchberg',
  'Ardennes',
  'Sûre',
  'Pétrusse',
  'Minett',
  'Éislek',
  'Gutland',
  'Our',
];
const ACTIVITIES = [
  'Invest',
  'Holding',
  'Logistique',
  'Consulting',
  'Immobilière',
  'Technologies',
  'Services',
  'Trading',
  'Capital',
  'Partners',
  'Bâtiment',
  'Digital',
];
const QUALIFIERS = ['', ' Lux', ' Europe', ' International', ' Group'];
const FORMS: readonly { suffix: string; weight: number; roles: readonly Role[] }[] = [
  { suffix: 'S.à r.l.', weight: 0.55, roles: ['MANAGER', 'MANAGER', 'PARTNER'] },
  { suffix: 'S.A.', weight: 0.35, roles: ['DIRECTOR', 'DIRECTOR', 'DAILY_MANAGER', 'AUDITOR'] },
  { suffix: 'SCS', weight: 0.05, roles: ['MANAGER', 'PARTNER'] },
  { suffix: 'SNC', weight: 0.05, roles: ['PARTNER'] },
];

const dayOf = (date: string): number => {
  const [y, m, d] = date.split('-').map(Number);
  return Date.UTC(y, Math.max(m, 1) - 1, Math.max(d, 1)) / MS_PER_DAY;
};
const dateOf = (day: number): string => new Date(Math.floor(day) * MS_PER_DAY).toISOString().slice(0, 10);

function form(random: Random): (typeof FORMS)[number] {
  let x = random();
  for (const f of FORMS) {
    x -= f.weight;
    if (x < 0) return f;
  }
  return FORMS[0];
}

/** 600 companies with distinct names and RCS numbers that grow with the incorporation date, as real ones do. */
export function generateCompanies(seed: number): Company[] {
  const random = seededRandom(seed, 'rcs-companies');
  const names = PLACES.flatMap((p) => ACTIVITIES.flatMap((a) => QUALIFIERS.map((q) => `${p} ${a}${q}`)));
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [names[i], names[j]] = [names[j], names[i]];
  }
  const first = dayOf('1960-01-01');
  const span = dayOf('2024-12-31') - first;
  return names.map((name, i) => {
    const f = form(random);
    return {
      rcsNumber: `B${10_000 + i * 450 + Math.floor(random() * 450)}`,
      name: `${name} ${f.suffix}`,
      incorporated: dateOf(first + (span * (i + random())) / names.length),
      roles: f.roles,
    };
  });
}

/** Derives one person's roles from the company table. */
export function deriveRoles(person: RnppPerson, seed: number, companies: readonly Company[]): BusinessRole[] {
  const random = seededRandom(seed, person.matricule, 'rcs');
  const adult = dayOf(person.birthDate) + Math.ceil(18 * 365.25);
  // The register lists current roles: the dead and minors hold none.
  if (person.deathDate !== null || adult > REGISTER_DAY || random() >= ROLE_HOLDER_SHARE) return [];
  const x = random();
  const count = x < 0.75 ? 1 : x < 0.93 ? 2 : 3;
  const chosen = new Set<Company>();
  while (chosen.size < count) chosen.add(pick(companies, random));
  return [...chosen]
    .map((company) => {
      const from = Math.max(adult, dayOf(company.incorporated));
      return {
        rcsNumber: company.rcsNumber,
        companyName: company.name,
        role: pick(company.roles, random),
        since: dateOf(from + random() * (REGISTER_DAY - from)),
      };
    })
    .sort((a, b) => (a.since < b.since ? -1 : a.since > b.since ? 1 : 0));
}

/** The register over the RNPP simulator's population (same matricules, same seed). */
export function createRoleRegister(population: Population): RoleRegister {
  const companies = generateCompanies(population.seed);
  return {
    size: population.size,
    rolesOf(matricule) {
      const person = population.get(matricule);
      return person === undefined ? undefined : deriveRoles(person, population.seed, companies);
    },
  };
}
