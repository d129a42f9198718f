/**
 * The CCSS simulator's register: each person's social-security affiliations, derived on demand from
 * the person's RNPP record and a random stream seeded by the matricule. Nothing is stored, so the
 * register has exactly the RNPP simulator's persons for the same (size, seed) and costs no memory.
 */
import type { RnppPerson } from '../../../libs/sources/src/rnpp/rnpp-person';
import { type Population, REGISTER_DATE } from '../../rnpp-simulator/src/population';
import { EMPLOYERS, employerNumber, PENSION_FUNDS, TRADES } from './affiliation-tables';
import { dateOf, dayOf, DAYS_PER_YEAR } from './dates';
import { pick, type Random, seededRandom } from '@broker/simulation';

export const AFFILIATION_STATUSES = ['EMPLOYED', 'SELF_EMPLOYED', 'PENSIONER', 'CO_INSURED'] as const;
export type AffiliationStatus = (typeof AFFILIATION_STATUSES)[number];

export interface Affiliation {
  status: AffiliationStatus;
  employerName: string;
  employerNumber: string;
  /** YYYY-MM-DD. */
  startDate: string;
  /** YYYY-MM-DD, or null while the affiliation is open. */
  endDate: string | null;
}

export interface AffiliationRegister {
  readonly size: number;
  /** The person's affiliations, oldest first (possibly none), or undefined for an unknown matricule. */
  affiliationsOf(matricule: string): Affiliation[] | undefined;
}

/** Persons insured elsewhere (cross-border workers' families, recent arrivals): no affiliation here. */
const NOT_AFFILIATED_SHARE = 0.07;
/** Adults whose childhood co-insurance is still on file. */
const CHILDHOOD_ON_FILE_SHARE = 0.5;
const SELF_EMPLOYED_SHARE = 0.13;
const MAX_JOBS = 6;

interface Span {
  status: AffiliationStatus;
  employerName: string;
  employerNumber: string;
  start: number;
  end: number;
}

const years = (n: number): number => Math.round(n * DAYS_PER_YEAR);

function job(
  person: RnppPerson,
  start: number,
  random: Random,
): Pick<Span, 'status' | 'employerName' | 'employerNumber'> {
  if (random() < SELF_EMPLOYED_SHARE) {
    const name = `${pick(TRADES, random)} ${person.surname}`;
    return {
      status: 'SELF_EMPLOYED',
      employerName: name,
      employerNumber: employerNumber(name, Number(dateOf(start).slice(0, 4))),
    };
  }
  const employer = pick(EMPLOYERS, random);
  return { status: 'EMPLOYED', employerName: employer.name, employerNumber: employer.number };
}

/** Derives one person's affiliations; `horizon` is the death date, else the register date. */
export function deriveAffiliations(person: RnppPerson, seed: number): Affiliation[] {
  const random = seededRandom(seed, person.matricule, 'ccss');
  if (random() < NOT_AFFILIATED_SHARE) return [];
  const birth = dayOf(person.birthDate);
  const horizon = dayOf(person.deathDate ?? REGISTER_DATE);
  const careerStart = birth + years(18 + random() * 9);
  const retirement = birth + years(57 + random() * 8);
  const spans: Span[] = [];

  // Children are co-insured through a parent until they work; adults only sometimes keep that on file.
  if (careerStart > horizon || random() < CHILDHOOD_ON_FILE_SHARE) {
    const parentsEmployer = pick(EMPLOYERS, random);
    spans.push({
      status: 'CO_INSURED',
      employerName: parentsEmployer.name,
      employerNumber: parentsEmployer.number,
      start: birth,
      end: Math.min(careerStart - 1, horizon),
    });
  }

  const careerEnd = Math.min(retirement - 1, horizon);
  let start = careerStart;
  for (let n = 1; start <= careerEnd; n++) {
    const length = n === MAX_JOBS ? Infinity : years(1 + random() * random() * 20);
    const end = Math.min(start + length, careerEnd);
    spans.push({ ...job(person, start, random), start, end });
    // Some changes of job leave a gap (unemployment, studies, time abroad).
    start = end + 1 + (random() < 0.3 ? years(random() * 2) : 0);
  }

  if (retirement <= horizon) {
    const fund = random() < 0.85 ? PENSION_FUNDS[0] : PENSION_FUNDS[1];
    spans.push({
      status: 'PENSIONER',
      employerName: fund.name,
      employerNumber: fund.number,
      start: retirement,
      end: horizon,
    });
  }

  const alive = person.deathDate === null;
  return spans.map((s) => ({
    status: s.status,
    employerName: s.employerName,
    employerNumber: s.employerNumber,
    startDate: dateOf(s.start),
    // What reaches the register date is still open; a deceased person's last affiliations end at death.
    endDate: alive && s.end >= horizon ? null : dateOf(s.end),
  }));
}

/** The register over the RNPP simulator's population (same matricules, same seed). */
export function createAffiliationRegister(population: Population): AffiliationRegister {
  return {
    size: population.size,
    affiliationsOf(matricule) {
      const person = population.get(matricule);
      return person === undefined ? undefined : deriveAffiliations(person, population.seed);
    },
  };
}
