/**
 * Deterministic synthetic population for the RNPP simulator.
 *
 * Persons are stored column-wise in typed arrays (about 60 bytes each) and only turned into
 * `RnppPerson` objects when asked for, so that a million of them fit comfortably in memory and are
 * generated in a few seconds. The same (size, seed) always yields the same register.
 */
import { makeMatricule } from '@broker/matricule';
import type { RnppAddress, RnppPerson } from '../../../libs/sources/src/rnpp/rnpp-person';
import {
  agePyramidWeight,
  COMMUNES,
  COMMUNITIES,
  type CommunityRow,
  LU_BIRTH_LOCALITIES,
  NOBLE_TITLES,
} from './population-tables';

export interface PopulationOptions {
  /** Number of persons, 0..MAX_POPULATION_SIZE; default 10,000. */
  size?: number;
  /** Any safe integer; default 20131128. */
  seed?: number;
}

export interface Population {
  readonly size: number;
  readonly seed: number;
  /** The person with this matricule, as a fresh object, or undefined. */
  get(matricule: string): RnppPerson | undefined;
  /** Matricules in ascending order, `limit` of them from position `offset`. */
  list(offset: number, limit: number): string[];
}

export const DEFAULT_POPULATION_SIZE = 10_000;
export const DEFAULT_SEED = 20131128;
/** Bounded by the 21 bits that the sort key keeps for a person's index. */
export const MAX_POPULATION_SIZE = 2_000_000;
/** The register is a snapshot taken on this day: every birth and death is on or before it. */
export const REGISTER_DATE = '2025-12-31';

const FIRST_YEAR = 1925;
const LAST_YEAR = 2025;
const YEARS = LAST_YEAR - FIRST_YEAR + 1;
const MS_PER_DAY = 86_400_000;
const REGISTER_DAY = Date.UTC(2025, 11, 31) / MS_PER_DAY;
const EARLIEST_DEATH_DAY = Date.UTC(1980, 0, 1) / MS_PER_DAY;
/** Parents are 19..44 calendar years older, hence 18..45 full years whatever the days. */
const MIN_PARENT_GAP = 19;
const MAX_PARENT_GAP = 44;
const MAX_CHILDREN = 5;
/**
 * Chance of keeping a drawn mother according to the children she already has: without it, random
 * draws pile children onto the few adults of small communities.
 */
const ACCEPT_WITH_CHILDREN = [1, 0.85, 0.4, 0.12, 0.04, 0];
const NONE16 = 0xffff;
const NONE8 = 0xff;
const INDEX_BITS = 2 ** 21;

const CIVIL = ['SINGLE', 'MARRIED', 'PARTNERSHIP', 'DIVORCED', 'WIDOWED'] as const;
const [SINGLE, MARRIED, PARTNERSHIP, DIVORCED, WIDOWED] = [0, 1, 2, 3, 4];
const REFUGEE = ['NONE', 'REFUGEE', 'SUBSIDIARY_PROTECTION'] as const;
const TITLES = [...NOBLE_TITLES.F, ...NOBLE_TITLES.M];
/** Communities among which the few remaining noble titles are found. */
const NOBLE_COMMUNITIES = new Set(['LU', 'BE', 'FR', 'DE', 'IT']);

type Random = () => number;

/** sfc32 seeded through splitmix32: small, fast and good enough for synthetic data. */
function createRandom(seed: number): Random {
  let state = (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
  const splitmix32 = (): number => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix32();
  let b = splitmix32();
  let c = splitmix32();
  let d = splitmix32();
  const random = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) random();
  return random;
}

/** Cumulative-weight sampler over indices 0..weights.length-1. */
function weighted(weights: readonly number[]): (random: Random) => number {
  const cumulative = new Float64Array(weights.length);
  let total = 0;
  weights.forEach((w, i) => {
    total += w;
    cumulative[i] = total;
  });
  return (random) => {
    const x = random() * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

const pick = <T>(items: readonly T[], random: Random): T => items[Math.floor(random() * items.length)];
/** Roughly bell-shaped on [0, 1): the mean of two uniforms. */
const triangular = (random: Random): number => (random() + random()) / 2;

class StringTable {
  readonly values: string[] = [];
  private readonly ids = new Map<string, number>();

  intern(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      if (id >= NONE16) throw new RangeError('string table overflow');
      this.values.push(value);
      this.ids.set(value, id);
    }
    return id;
  }
}

/**
 * A birth date packed so that numeric order is the order of YYYYMMDD strings, `00` parts included:
 * (year - 1925) * 416 + month * 32 + day.
 */
const dateCode = (year: number, month: number, day: number): number =>
  (year - FIRST_YEAR) * 416 + month * 32 + day;
const codeYear = (code: number): number => FIRST_YEAR + Math.floor(code / 416);
const codeMonth = (code: number): number => Math.floor((code % 416) / 32);
const codeDay = (code: number): number => code % 32;
const MAX_DATE_CODE = dateCode(LAST_YEAR, 12, 31);

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

function isoOfDay(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

/** The last day a birth date with unknown parts could stand for. */
function latestBirthDay(code: number): number {
  const year = codeYear(code);
  const month = codeMonth(code);
  const day = codeDay(code);
  if (month === 0) return Date.UTC(year, 11, 31) / MS_PER_DAY;
  if (day === 0) return Date.UTC(year, month, 0) / MS_PER_DAY;
  return Date.UTC(year, month - 1, day) / MS_PER_DAY;
}

interface Street {
  street: string;
  postalCode: string;
  locality: string;
  commune: string;
}

const STREETS: readonly Street[] = COMMUNES.flatMap((c) =>
  c.streets.map((r) => ({
    street: r.street,
    postalCode: `L-${r.postalCode}`,
    locality: r.locality,
    commune: c.commune,
  })),
);
/** Every street of a commune is equally likely, so a commune's weight is spread over its streets. */
const STREET_WEIGHTS = COMMUNES.flatMap((c) => c.streets.map(() => c.weight / c.streets.length));
const COMMUNE_NAMES = COMMUNES.map((c) => c.commune);

function civilStatusByAge(age: number, random: Random): number {
  const r = random();
  if (age < 18) return SINGLE;
  if (age < 25) return r < 0.93 ? SINGLE : r < 0.98 ? MARRIED : PARTNERSHIP;
  if (age < 35) return r < 0.6 ? SINGLE : r < 0.85 ? MARRIED : r < 0.95 ? PARTNERSHIP : DIVORCED;
  if (age < 55)
    return r < 0.3 ? SINGLE : r < 0.75 ? MARRIED : r < 0.82 ? PARTNERSHIP : r < 0.98 ? DIVORCED : WIDOWED;
  if (age < 75)
    return r < 0.12 ? SINGLE : r < 0.67 ? MARRIED : r < 0.7 ? PARTNERSHIP : r < 0.88 ? DIVORCED : WIDOWED;
  return r < 0.07 ? SINGLE : r < 0.47 ? MARRIED : r < 0.55 ? DIVORCED : WIDOWED;
}

function deathProbability(age: number): number {
  if (age < 18) return 0.001;
  if (age < 50) return 0.008;
  if (age < 65) return 0.03;
  if (age < 75) return 0.08;
  if (age < 85) return 0.16;
  return 0.35;
}

/** Generates the synthetic register for `size` persons from `seed`; same inputs, same register. */
export function generatePopulation(options: PopulationOptions = {}): Population {
  const size = options.size ?? DEFAULT_POPULATION_SIZE;
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(size) || size < 0 || size > MAX_POPULATION_SIZE) {
    throw new RangeError(`size must be an integer in 0..${MAX_POPULATION_SIZE}`);
  }
  if (!Number.isSafeInteger(seed)) throw new RangeError('seed must be a safe integer');

  const random = createRandom(seed);
  const strings = new StringTable();
  const countries = new StringTable();
  const LU = countries.intern('LU');
  const communityCountry = COMMUNITIES.map((c) => countries.intern(c.country));
  const communityByCountry = new Map(COMMUNITIES.map((c, i) => [c.country, i]));
  const neighbours = ['FR', 'BE', 'DE'].map((c) => communityByCountry.get(c) as number);
  const dualPartners = ['PT', 'FR', 'BE', 'DE', 'IT'].map((c) => countries.intern(c));
  const luBirthLocalities = LU_BIRTH_LOCALITIES.map((l) => strings.intern(l.locality));

  const pickCommunity = weighted(COMMUNITIES.map((c) => c.weight));
  const pickAge = weighted(Array.from({ length: YEARS }, (_, age) => agePyramidWeight(age)));
  const pickStreet = weighted(STREET_WEIGHTS);
  const pickCommune = weighted(COMMUNES.map((c) => c.weight));
  const pickLuBirthLocality = weighted(LU_BIRTH_LOCALITIES.map((l) => l.weight));

  // Columns. Index i is the person's generation rank; `order` maps matricule rank to i.
  const birth = new Uint16Array(size);
  const serial = new Uint16Array(size);
  const female = new Uint8Array(size);
  const community = new Uint8Array(size);
  const surname = new Uint16Array(size);
  const given = new Uint16Array(size * 3).fill(NONE16);
  const birthLocality = new Uint16Array(size);
  const birthCountry = new Uint8Array(size);
  const nationality = new Uint8Array(size * 2).fill(NONE8);
  const street = new Uint16Array(size);
  const houseNumber = new Uint16Array(size);
  const houseSuffix = new Uint8Array(size);
  const civil = new Uint8Array(size);
  const refugee = new Uint8Array(size);
  const mother = new Int32Array(size).fill(-1);
  const father = new Int32Array(size).fill(-1);
  const deathDay = new Int32Array(size);
  const deathPlace = new Uint8Array(size);
  const noble = new Uint8Array(size);
  // Working columns, dropped once generation is over.
  const partner = new Int32Array(size).fill(-1);
  const coupleStatus = new Uint8Array(size);
  const childCount = new Uint8Array(size);
  const lastChildDay = new Int32Array(size);
  const usedSerials = new Uint8Array(Math.ceil(((MAX_DATE_CODE + 1) * 1000) / 8));

  const surnameOf = (row: CommunityRow): number => {
    const first = pick(row.surnames, random);
    if (random() >= row.compoundSurname) return strings.intern(first);
    let second = pick(row.surnames, random);
    for (let tries = 0; second === first && tries < 5; tries++) second = pick(row.surnames, random);
    return strings.intern(second === first ? first : `${first} ${second}`);
  };

  // Pass 1: everything that does not depend on other persons.
  for (let i = 0; i < size; i++) {
    const k = pickCommunity(random);
    const row = COMMUNITIES[k];
    const age = pickAge(random);
    const year = LAST_YEAR - age;
    const isFemale = random() < 0.5;
    const isLuxembourgish = row.country === 'LU';
    const bornInLu = random() < (isLuxembourgish ? 0.92 : age < 20 ? 0.55 : age < 40 ? 0.2 : 0.08);

    // Undocumented birth dates concern mostly people born abroad.
    const daysInYear = (Date.UTC(year + 1, 0, 1) - Date.UTC(year, 0, 1)) / MS_PER_DAY;
    const date = new Date(Date.UTC(year, 0, 1 + Math.floor(random() * daysInYear)));
    let month = date.getUTCMonth() + 1;
    let day = date.getUTCDate();
    const unknown = random();
    if (unknown < (bornInLu ? 0.00005 : 0.0004)) month = day = 0;
    else if (unknown < (bornInLu ? 0.0005 : 0.004)) day = 0;
    const code = dateCode(year, month, day);
    birth[i] = code;

    // Serials are drawn at random and probed linearly: per-day counts stay far below 1000.
    let s = Math.floor(random() * 1000);
    for (let probes = 0; ; probes++) {
      if (probes === 1000) throw new RangeError(`no serial left for birth date code ${code}`);
      const bit = code * 1000 + s;
      if ((usedSerials[bit >> 3] & (1 << (bit & 7))) === 0) {
        usedSerials[bit >> 3] |= 1 << (bit & 7);
        break;
      }
      s = (s + 1) % 1000;
    }
    serial[i] = s;

    female[i] = isFemale ? 1 : 0;
    community[i] = k;
    surname[i] = surnameOf(row);
    const names = isFemale ? row.female : row.male;
    const r = random();
    const count = r < row.givenNameCount[0] ? 1 : r < row.givenNameCount[0] + row.givenNameCount[1] ? 2 : 3;
    for (let g = 0, taken = 0; g < count && taken < 10; taken++) {
      const id = strings.intern(pick(names, random));
      if (given[i * 3] !== id && given[i * 3 + 1] !== id) given[i * 3 + g++] = id;
    }

    if (bornInLu) {
      birthLocality[i] = luBirthLocalities[pickLuBirthLocality(random)];
      birthCountry[i] = LU;
    } else {
      const origin = isLuxembourgish ? pick(neighbours, random) : k;
      birthLocality[i] = strings.intern(pick(COMMUNITIES[origin].cities, random));
      birthCountry[i] = communityCountry[origin];
    }

    if (isLuxembourgish) {
      nationality[i * 2] = LU;
      if (random() < 0.12) nationality[i * 2 + 1] = pick(dualPartners, random);
    } else if (random() < (bornInLu ? 0.25 : age >= 30 ? 0.1 : 0.04)) {
      nationality[i * 2] = LU;
      nationality[i * 2 + 1] = communityCountry[k];
    } else {
      nationality[i * 2] = communityCountry[k];
      if (row.asylum) {
        const status = random();
        refugee[i] = status < 0.6 ? 1 : status < 0.8 ? 2 : 0;
      }
    }

    street[i] = pickStreet(random);
    houseNumber[i] = 1 + Math.floor(random() ** 2 * 120);
    const suffix = random();
    houseSuffix[i] = suffix < 0.04 ? 1 : suffix < 0.05 ? 2 : 0;

    if (age >= 18 && NOBLE_COMMUNITIES.has(row.country) && random() < 0.001) {
      const titles = isFemale ? NOBLE_TITLES.F : NOBLE_TITLES.M;
      noble[i] = 1 + TITLES.indexOf(pick(titles, random));
    }
  }

  // Buckets of persons by (community, birth year, sex), to find plausible parents quickly.
  const bucketCount = COMMUNITIES.length * YEARS * 2;
  const bucketOf = (k: number, year: number, isFemale: number): number =>
    ((k * YEARS + year - FIRST_YEAR) << 1) | isFemale;
  const bucketStart = new Int32Array(bucketCount + 1);
  for (let i = 0; i < size; i++) bucketStart[bucketOf(community[i], codeYear(birth[i]), female[i]) + 1]++;
  for (let b = 0; b < bucketCount; b++) bucketStart[b + 1] += bucketStart[b];
  const bucketItems = new Int32Array(size);
  const fill = bucketStart.slice(0, bucketCount);
  for (let i = 0; i < size; i++)
    bucketItems[fill[bucketOf(community[i], codeYear(birth[i]), female[i])]++] = i;

  const drawFrom = (k: number, year: number, isFemale: number, accept: (p: number) => boolean): number => {
    if (year < FIRST_YEAR || year > LAST_YEAR) return -1;
    const b = bucketOf(k, year, isFemale);
    const from = bucketStart[b];
    const n = bucketStart[b + 1] - from;
    if (n === 0) return -1;
    for (let tries = 0; tries < 4; tries++) {
      const p = bucketItems[from + Math.floor(random() * n)];
      if (accept(p)) return p;
    }
    return -1;
  };

  // Pass 2: families, oldest generation first so that parents are final when children copy them.
  for (let year = FIRST_YEAR + MIN_PARENT_GAP; year <= LAST_YEAR; year++) {
    for (let k = 0; k < COMMUNITIES.length; k++) {
      for (let sex = 0; sex < 2; sex++) {
        const b = bucketOf(k, year, sex);
        for (let at = bucketStart[b]; at < bucketStart[b + 1]; at++) {
          const c = bucketItems[at];
          if (random() >= (birthCountry[c] === LU ? 0.8 : 0.35)) continue;
          const fits = (p: number): boolean => {
            const gap = year - codeYear(birth[p]);
            return gap >= MIN_PARENT_GAP && gap <= MAX_PARENT_GAP;
          };
          let m = -1;
          for (let tries = 0; m < 0 && tries < 4; tries++) {
            const motherYear = year - MIN_PARENT_GAP - Math.floor(triangular(random) * 26);
            m = drawFrom(k, motherYear, 1, (p) => random() < ACCEPT_WITH_CHILDREN[childCount[p]]);
          }
          if (m < 0) continue;

          let f =
            partner[m] >= 0 && fits(partner[m]) && childCount[partner[m]] < MAX_CHILDREN ? partner[m] : -1;
          if (f < 0 && random() < 0.9) {
            for (let tries = 0; f < 0 && tries < 4; tries++) {
              const fatherYear = codeYear(birth[m]) + 3 - Math.floor(triangular(random) * 12);
              f = drawFrom(
                k,
                fatherYear,
                0,
                (p) => fits(p) && childCount[p] < MAX_CHILDREN && partner[p] < 0,
              );
            }
            if (f >= 0 && partner[m] < 0) {
              partner[m] = f;
              partner[f] = m;
              const r = random();
              const status = r < 0.68 ? MARRIED : r < 0.82 ? PARTNERSHIP : DIVORCED;
              coupleStatus[m] = coupleStatus[f] = status;
              if (status !== DIVORCED) {
                street[f] = street[m];
                houseNumber[f] = houseNumber[m];
                houseSuffix[f] = houseSuffix[m];
              }
            }
          }

          mother[c] = m;
          childCount[m]++;
          const born = latestBirthDay(birth[c]);
          if (born > lastChildDay[m]) lastChildDay[m] = born;
          if (f >= 0) {
            father[c] = f;
            childCount[f]++;
            if (born > lastChildDay[f]) lastChildDay[f] = born;
          }

          surname[c] = surname[f >= 0 ? f : m];
          const motherLu = nationality[m * 2] === LU;
          const fatherLu = f >= 0 && nationality[f * 2] === LU;
          if (motherLu || fatherLu) {
            nationality[c * 2] = LU;
            const other = motherLu ? nationality[m * 2 + 1] : nationality[m * 2];
            nationality[c * 2 + 1] = other !== LU ? other : NONE8;
            refugee[c] = 0;
          } else if (birthCountry[c] === LU && random() < 0.12) {
            nationality[c * 2] = LU;
            nationality[c * 2 + 1] = nationality[m * 2];
            refugee[c] = 0;
          } else {
            nationality[c * 2] = nationality[m * 2];
            nationality[c * 2 + 1] = nationality[m * 2 + 1];
            refugee[c] = refugee[m];
          }

          const age = LAST_YEAR - year;
          if (age < 18 || (age < 26 && random() < 0.4)) {
            street[c] = street[m];
            houseNumber[c] = houseNumber[m];
            houseSuffix[c] = houseSuffix[m];
          }
        }
      }
    }
  }

  // Pass 3: deaths, then civil status, which depends on whether a partner survived.
  for (let i = 0; i < size; i++) {
    const age = LAST_YEAR - codeYear(birth[i]);
    if (random() >= deathProbability(age)) continue;
    const earliest = Math.max(latestBirthDay(birth[i]) + 1, lastChildDay[i], EARLIEST_DEATH_DAY);
    if (earliest > REGISTER_DAY) continue;
    deathDay[i] = earliest + Math.floor(random() * (REGISTER_DAY - earliest + 1));
    deathPlace[i] = pickCommune(random);
  }
  for (let i = 0; i < size; i++) {
    const p = partner[i];
    if (p < 0) civil[i] = civilStatusByAge(LAST_YEAR - codeYear(birth[i]), random);
    else if (
      deathDay[p] !== 0 &&
      coupleStatus[i] !== DIVORCED &&
      (deathDay[i] === 0 || deathDay[p] < deathDay[i])
    ) {
      civil[i] = WIDOWED;
    } else civil[i] = coupleStatus[i];
  }

  // Children lists in compressed-sparse-row form.
  const childStart = new Int32Array(size + 1);
  for (let i = 0; i < size; i++) {
    if (mother[i] >= 0) childStart[mother[i] + 1]++;
    if (father[i] >= 0) childStart[father[i] + 1]++;
  }
  for (let i = 0; i < size; i++) childStart[i + 1] += childStart[i];
  const childItems = new Int32Array(childStart[size]);
  const childFill = childStart.slice(0, size);
  for (let i = 0; i < size; i++) {
    if (mother[i] >= 0) childItems[childFill[mother[i]]++] = i;
    if (father[i] >= 0) childItems[childFill[father[i]]++] = i;
  }

  // Matricule order: a float sort on (birth code, serial, index) packed into one exact double.
  const packed = new Float64Array(size);
  for (let i = 0; i < size; i++) packed[i] = (birth[i] * 1000 + serial[i]) * INDEX_BITS + i;
  packed.sort();
  const order = new Int32Array(size);
  const sortedKeys = new Uint32Array(size);
  for (let r = 0; r < size; r++) {
    const i = packed[r] % INDEX_BITS;
    order[r] = i;
    sortedKeys[r] = birth[i] * 1000 + serial[i];
  }

  const birthDigits = (i: number): string => {
    const code = birth[i];
    return `${codeYear(code)}${pad2(codeMonth(code))}${pad2(codeDay(code))}`;
  };
  const matriculeOf = (i: number): string => makeMatricule(birthDigits(i), serial[i]);

  const indexOf = (m: string): number => {
    if (typeof m !== 'string' || !/^[0-9]{13}$/.test(m)) return -1;
    const year = Number(m.slice(0, 4));
    const month = Number(m.slice(4, 6));
    const day = Number(m.slice(6, 8));
    if (year < FIRST_YEAR || year > LAST_YEAR || month > 12 || day > 31) return -1;
    const key = dateCode(year, month, day) * 1000 + Number(m.slice(8, 11));
    let lo = 0;
    let hi = size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const k = sortedKeys[mid];
      if (k === key) {
        const i = order[mid];
        // Same date and serial but other check digits is not this person.
        return matriculeOf(i) === m ? i : -1;
      }
      if (k < key) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  };

  const addressOf = (i: number): RnppAddress | null => {
    if (deathDay[i] !== 0) return null;
    const st = STREETS[street[i]];
    return {
      street: st.street,
      houseNumber: `${houseNumber[i]}${houseSuffix[i] === 1 ? 'A' : houseSuffix[i] === 2 ? 'B' : ''}`,
      postalCode: st.postalCode,
      locality: st.locality,
      commune: st.commune,
      country: 'LU',
    };
  };

  const personAt = (i: number, m: string): RnppPerson => {
    const code = birth[i];
    const givenNames: string[] = [];
    for (let g = 0; g < 3; g++)
      if (given[i * 3 + g] !== NONE16) givenNames.push(strings.values[given[i * 3 + g]]);
    const nationalities = [countries.values[nationality[i * 2]]];
    if (nationality[i * 2 + 1] !== NONE8) nationalities.push(countries.values[nationality[i * 2 + 1]]);
    const parents: string[] = [];
    if (mother[i] >= 0) parents.push(matriculeOf(mother[i]));
    if (father[i] >= 0) parents.push(matriculeOf(father[i]));
    const children = Array.from(childItems.subarray(childStart[i], childStart[i + 1]))
      .sort((a, b) => birth[a] - birth[b] || serial[a] - serial[b])
      .map(matriculeOf);
    return {
      matricule: m,
      surname: strings.values[surname[i]],
      givenNames,
      birthDate: `${codeYear(code)}-${pad2(codeMonth(code))}-${pad2(codeDay(code))}`,
      birthPlace: { locality: strings.values[birthLocality[i]], country: countries.values[birthCountry[i]] },
      sex: female[i] === 1 ? 'F' : 'M',
      nationalities,
      address: addressOf(i),
      civilStatus: CIVIL[civil[i]],
      refugeeStatus: REFUGEE[refugee[i]],
      parents,
      children,
      deathDate: deathDay[i] !== 0 ? isoOfDay(deathDay[i]) : null,
      deathPlace: deathDay[i] !== 0 ? COMMUNE_NAMES[deathPlace[i]] : null,
      nobleTitle: noble[i] !== 0 ? TITLES[noble[i] - 1] : null,
    };
  };

  return {
    size,
    seed,
    get(m: string): RnppPerson | undefined {
      const i = indexOf(m);
      return i < 0 ? undefined : personAt(i, m);
    },
    list(offset: number, limit: number): string[] {
      if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 0) {
        throw new RangeError('offset and limit must be non-negative integers');
      }
      const end = Math.min(size, offset + limit);
      const out: string[] = [];
      for (let r = offset; r < end; r++) out.push(matriculeOf(order[r]));
      return out;
    },
  };
}
