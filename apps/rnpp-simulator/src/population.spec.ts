import { checkMatricule, isValidMatricule, makeMatricule } from '@broker/matricule';
import type { RnppPerson } from '../../../libs/sources/src/rnpp/rnpp-person';
import { generatePopulation, MAX_POPULATION_SIZE, type Population, REGISTER_DATE } from './population';
import { COMMUNES } from './population-tables';

const SIZE = 10_000;
const BIG = 100_000;
let bigPopulation: Population | undefined;
/** Built once, by whichever test needs it first. */
const big = (): Population => (bigPopulation ??= generatePopulation({ size: BIG, seed: 3 }));

/** Earliest and latest day (as YYYY-MM-DD) that a birth date with `00` parts may stand for. */
function birthRange(birthDate: string): [string, string] {
  const [y, m, d] = birthDate.split('-');
  if (m === '00') return [`${y}-01-01`, `${y}-12-31`];
  if (d === '00') {
    const last = new Date(Date.UTC(Number(y), Number(m), 0)).getUTCDate();
    return [`${y}-${m}-01`, `${y}-${m}-${String(last).padStart(2, '0')}`];
  }
  return [birthDate, birthDate];
}

/** Whole years from `from` to `to`, both YYYY-MM-DD. */
function fullYears(from: string, to: string): number {
  const years = Number(to.slice(0, 4)) - Number(from.slice(0, 4));
  return to.slice(5) >= from.slice(5) ? years : years - 1;
}

describe('generatePopulation', () => {
  let population: Population;
  let matricules: string[];
  let persons: RnppPerson[];
  let byMatricule: Map<string, RnppPerson>;

  beforeAll(() => {
    population = generatePopulation({ size: SIZE, seed: 20131128 });
    matricules = population.list(0, SIZE);
    persons = matricules.map((m) => population.get(m) as RnppPerson);
    byMatricule = new Map(persons.map((p) => [p.matricule, p]));
  });

  const share = (predicate: (p: RnppPerson) => boolean): number => persons.filter(predicate).length / SIZE;
  /** Matricules of the persons breaking a rule: one assertion per rule keeps the suite fast. */
  const breaking = (rule: (p: RnppPerson) => boolean): string[] =>
    persons.filter((p) => !rule(p)).map((p) => p.matricule);

  it('has the requested size and the default seed and size', () => {
    expect(population.size).toBe(SIZE);
    expect(population.seed).toBe(20131128);
    const byDefault = generatePopulation();
    expect(byDefault.size).toBe(10_000);
    expect(byDefault.list(0, 50)).toEqual(matricules.slice(0, 50));
  });

  it('is deterministic for a given seed', () => {
    const again = generatePopulation({ size: SIZE, seed: 20131128 });
    expect(again.list(0, SIZE)).toEqual(matricules);
    for (const m of matricules.filter((_, i) => i % 97 === 0))
      expect(again.get(m)).toEqual(byMatricule.get(m));
  });

  it('differs for another seed', () => {
    const other = generatePopulation({ size: SIZE, seed: 42 });
    const otherList = other.list(0, SIZE);
    const common = otherList.filter((m) => byMatricule.has(m)).length;
    expect(common).toBeLessThan(SIZE / 10);
  });

  it('gives every person a valid, unique matricule, listed in ascending order', () => {
    expect(matricules).toHaveLength(SIZE);
    expect(new Set(matricules).size).toBe(SIZE);
    expect(matricules.filter((m) => !checkMatricule(m).valid)).toEqual([]);
    expect([...matricules].sort()).toEqual(matricules);
    expect(breaking((p) => p.birthDate.replace(/-/g, '') === p.matricule.slice(0, 8))).toEqual([]);
  });

  it('pages through the same stable order', () => {
    expect(population.list(10, 5)).toEqual(matricules.slice(10, 15));
    expect(population.list(SIZE - 2, 10)).toEqual(matricules.slice(SIZE - 2));
    expect(population.list(SIZE + 5, 10)).toEqual([]);
    expect(population.list(0, 0)).toEqual([]);
    expect(() => population.list(-1, 10)).toThrow(RangeError);
    expect(() => population.list(0, 1.5)).toThrow(RangeError);
  });

  it('finds nobody for unknown or malformed matricules', () => {
    expect(population.get(makeMatricule('18500101', 1))).toBeUndefined();
    const known = matricules[123];
    const wrongVerhoeff = known.slice(0, 12) + ((Number(known[12]) + 1) % 10);
    expect(population.get(wrongVerhoeff)).toBeUndefined();
    expect(population.get('abc')).toBeUndefined();
    expect(population.get('')).toBeUndefined();
    expect(population.get('１２３４５６７８９０１２３')).toBeUndefined();
    expect(population.get(undefined as unknown as string)).toBeUndefined();
  });

  it('hands out fresh objects', () => {
    const m = matricules[7];
    const first = population.get(m) as RnppPerson;
    first.surname = 'changed';
    first.givenNames.push('changed');
    expect(population.get(m)).toEqual(byMatricule.get(m));
  });

  it('links parents and children both ways with 18 to 45 years between them', () => {
    const problems: string[] = [];
    let links = 0;
    for (const person of persons) {
      const me = person.matricule;
      if (person.parents.length > 2 || new Set(person.parents).size !== person.parents.length) {
        problems.push(`${me}: parents ${person.parents.join(',')}`);
      }
      if (new Set(person.children).size !== person.children.length)
        problems.push(`${me}: duplicate children`);
      if (person.parents.length === 2) {
        const sexes = person.parents
          .map((m) => byMatricule.get(m)?.sex)
          .sort()
          .join('');
        if (sexes !== 'FM') problems.push(`${me}: parents of sexes ${sexes}`);
      }
      for (const m of person.parents) {
        const parent = byMatricule.get(m);
        if (parent === undefined) {
          problems.push(`${me}: parent ${m} not in the register`);
          continue;
        }
        if (!parent.children.includes(me)) problems.push(`${me}: parent ${m} does not list the child`);
        const [parentEarliest, parentLatest] = birthRange(parent.birthDate);
        const [childEarliest, childLatest] = birthRange(person.birthDate);
        const least = fullYears(parentLatest, childEarliest);
        const most = fullYears(parentEarliest, childLatest);
        if (least < 18 || most > 45) problems.push(`${me}: parent ${m} older by ${least}..${most} years`);
        links++;
      }
      for (const m of person.children) {
        const child = byMatricule.get(m);
        if (child === undefined) problems.push(`${me}: child ${m} not in the register`);
        else if (!child.parents.includes(me)) problems.push(`${me}: child ${m} does not list the parent`);
      }
      const childBirths = person.children.map((m) => byMatricule.get(m)?.birthDate ?? '');
      if ([...childBirths].sort().join() !== childBirths.join())
        problems.push(`${me}: children not oldest first`);
    }
    expect(problems).toEqual([]);
    // A real register links most people born in the country to their parents.
    expect(links / SIZE).toBeGreaterThan(0.6);
  });

  it('keeps a mother alive until her last child is born', () => {
    const problems = breaking(
      (p) =>
        p.sex !== 'F' ||
        p.deathDate === null ||
        p.children.every(
          (m) => (p.deathDate as string) >= birthRange((byMatricule.get(m) as RnppPerson).birthDate)[1],
        ),
    );
    expect(problems).toEqual([]);
  });

  it('has roughly Luxembourg’s mix of nationalities', () => {
    const luxembourgers = share((p) => p.nationalities.includes('LU'));
    expect(luxembourgers).toBeGreaterThan(0.5);
    expect(luxembourgers).toBeLessThan(0.6);
    const portuguese = share((p) => p.nationalities[0] === 'PT');
    expect(portuguese).toBeGreaterThan(0.12);
    expect(portuguese).toBeLessThan(0.19);
    const french = share((p) => p.nationalities[0] === 'FR');
    expect(french).toBeGreaterThan(0.06);
    expect(french).toBeLessThan(0.1);
    for (const c of ['IT', 'BE', 'DE']) expect(share((p) => p.nationalities[0] === c)).toBeGreaterThan(0.01);
    const dualLu = share((p) => p.nationalities.length === 2 && p.nationalities.includes('LU'));
    expect(dualLu).toBeGreaterThan(0.05);
    expect(
      breaking(
        (p) =>
          p.nationalities.length >= 1 &&
          new Set(p.nationalities).size === p.nationalities.length &&
          p.nationalities.every((n) => /^[A-Z]{2}$/.test(n)),
      ),
    ).toEqual([]);
  });

  it('records deaths after births, not after the register date, in a commune', () => {
    const communes = new Set(COMMUNES.map((c) => c.commune));
    const dead = persons.filter((p) => p.deathDate !== null);
    expect(dead.length / SIZE).toBeGreaterThan(0.02);
    expect(dead.length / SIZE).toBeLessThan(0.045);
    const today = new Date().toISOString().slice(0, 10);
    expect(breaking((p) => p.deathDate !== null || (p.deathPlace === null && p.address !== null))).toEqual(
      [],
    );
    const problems = dead
      .filter(
        (p) =>
          !/^\d{4}-\d{2}-\d{2}$/.test(p.deathDate as string) ||
          !((p.deathDate as string) > birthRange(p.birthDate)[1]) ||
          !((p.deathDate as string) <= REGISTER_DATE) ||
          !((p.deathDate as string) <= today) ||
          !communes.has(p.deathPlace as string) ||
          p.address !== null,
      )
      .map((p) => `${p.matricule} born ${p.birthDate} died ${p.deathDate} in ${p.deathPlace}`);
    expect(problems).toEqual([]);
  });

  it('uses real communes, localities and postal codes for addresses', () => {
    const streets = new Set(
      COMMUNES.flatMap((c) =>
        c.streets.map((s) => `${s.street}|L-${s.postalCode}|${s.locality}|${c.commune}`),
      ),
    );
    const problems = breaking(
      ({ address: a }) =>
        a === null ||
        (a.country === 'LU' &&
          /^L-\d{4}$/.test(a.postalCode) &&
          /^[1-9]\d*[AB]?$/.test(a.houseNumber) &&
          streets.has(`${a.street}|${a.postalCode}|${a.locality}|${a.commune}`)),
    );
    expect(problems).toEqual([]);
    expect(share((p) => p.address?.commune === 'Luxembourg')).toBeGreaterThan(0.15);
  });

  it('has plausible civil, refugee and noble statuses', () => {
    const minors = persons.filter((p) => Number(p.birthDate.slice(0, 4)) > 2007);
    expect(minors.filter((p) => p.civilStatus !== 'SINGLE')).toEqual([]);
    const refugees = persons.filter((p) => p.refugeeStatus !== 'NONE');
    expect(refugees.length / SIZE).toBeGreaterThan(0.002);
    expect(refugees.length / SIZE).toBeLessThan(0.012);
    expect(refugees.filter((p) => p.nationalities.includes('LU'))).toEqual([]);
    const nobles = persons.filter((p) => p.nobleTitle !== null);
    expect(nobles.length).toBeGreaterThan(0);
    expect(nobles.length / SIZE).toBeLessThan(0.002);
    expect(new Set(persons.map((p) => p.civilStatus))).toEqual(
      new Set(['SINGLE', 'MARRIED', 'PARTNERSHIP', 'DIVORCED', 'WIDOWED']),
    );
  });

  it('has a few unknown birth days and months, written 00', () => {
    const unknownDay = persons.filter((p) => p.birthDate.endsWith('-00'));
    expect(unknownDay.length / SIZE).toBeGreaterThan(0.0005);
    expect(unknownDay.length / SIZE).toBeLessThan(0.005);
    const unknownMonth = big()
      .list(0, BIG)
      .filter((m) => m.slice(4, 6) === '00');
    expect(unknownMonth.length).toBeGreaterThan(0);
    expect(unknownMonth.filter((m) => m.slice(6, 8) !== '00')).toEqual([]);
  });

  it('spreads birth years over 1925-2025 with more working-age adults', () => {
    const years = persons.map((p) => Number(p.birthDate.slice(0, 4)));
    expect(Math.min(...years)).toBeGreaterThanOrEqual(1925);
    expect(Math.max(...years)).toBeLessThanOrEqual(2025);
    const inRange = (from: number, to: number): number => years.filter((y) => y >= from && y <= to).length;
    // Ten birth years of 35-44 year-olds outnumber ten of 85-94 year-olds several times over.
    expect(inRange(1981, 1990)).toBeGreaterThan(4 * inRange(1931, 1940));
    expect(share((p) => p.sex === 'F')).toBeGreaterThan(0.45);
    expect(share((p) => p.sex === 'F')).toBeLessThan(0.55);
  });

  it('gives names from the person’s community', () => {
    const problems = breaking(
      (p) =>
        p.surname.length > 0 &&
        p.givenNames.length >= 1 &&
        p.givenNames.length <= 3 &&
        new Set(p.givenNames).size === p.givenNames.length &&
        p.birthPlace.locality.length > 0 &&
        /^[A-Z]{2}$/.test(p.birthPlace.country),
    );
    expect(problems).toEqual([]);
    const surnames = new Set(persons.map((p) => p.surname));
    for (const name of ['Schmit', 'Muller', 'Weber', 'Wagner', 'da Silva', 'Ferreira']) {
      expect(surnames.has(name) || [...surnames].some((s) => s.split(' ').includes(name))).toBe(true);
    }
  });

  it('rejects bad options', () => {
    expect(() => generatePopulation({ size: -1 })).toThrow(RangeError);
    expect(() => generatePopulation({ size: 1.5 })).toThrow(RangeError);
    expect(() => generatePopulation({ size: MAX_POPULATION_SIZE + 1 })).toThrow(RangeError);
    expect(() => generatePopulation({ seed: 0.5 })).toThrow(RangeError);
    expect(generatePopulation({ size: 0 }).list(0, 10)).toEqual([]);
  });

  it('keeps the matricules of a large register unique and valid', () => {
    const register = big();
    const all = register.list(0, BIG);
    expect(new Set(all).size).toBe(BIG);
    const sample = all.filter((_, i) => i % 200 === 0);
    expect(sample.filter((m) => !isValidMatricule(m) || register.get(m)?.matricule !== m)).toEqual([]);
  });
});
