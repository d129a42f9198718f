import type { RnppPerson } from '../../../libs/sources/src/rnpp/rnpp-person';
import { generatePopulation, REGISTER_DATE } from '../../rnpp-simulator/src/population';
import { AFFILIATION_STATUSES, type Affiliation, createAffiliationRegister } from './affiliations';

const SIZE = 5000;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

/** Whole years from `from` to `to`, both YYYY-MM-DD (`00` parts count as `01`). */
function age(from: string, to: string): number {
  const normal = from.replace(/-00/g, '-01');
  const years = Number(to.slice(0, 4)) - Number(normal.slice(0, 4));
  return to.slice(5) >= normal.slice(5) ? years : years - 1;
}

describe('the CCSS affiliation register', () => {
  const population = generatePopulation({ size: SIZE, seed: 11 });
  const register = createAffiliationRegister(population);
  const rows: [RnppPerson, Affiliation[]][] = population
    .list(0, SIZE)
    .map((m) => [population.get(m) as RnppPerson, register.affiliationsOf(m) as Affiliation[]]);
  const share = (rule: (p: RnppPerson, a: Affiliation[]) => boolean, among = rows): number =>
    among.filter(([p, a]) => rule(p, a)).length / among.length;
  const breaking = (rule: (p: RnppPerson, a: Affiliation[]) => boolean): string[] =>
    rows.filter(([p, a]) => !rule(p, a)).map(([p]) => p.matricule);

  it('knows exactly the RNPP persons, and is deterministic', () => {
    expect(register.size).toBe(SIZE);
    expect(rows.every(([, a]) => Array.isArray(a))).toBe(true);
    expect(register.affiliationsOf('1893120105732')).toBeUndefined();
    const again = createAffiliationRegister(generatePopulation({ size: SIZE, seed: 11 }));
    for (const [p, a] of rows.filter((_, i) => i % 53 === 0))
      expect(again.affiliationsOf(p.matricule)).toEqual(a);
  });

  it('gives most persons at least one affiliation and some none', () => {
    const none = share((_, a) => a.length === 0);
    expect(none).toBeGreaterThan(0.03);
    expect(none).toBeLessThan(0.15);
    expect(share((_, a) => a.length > 1)).toBeGreaterThan(0.3);
  });

  it('answers well-formed affiliations within the person’s life and the register date', () => {
    expect(
      breaking((p, list) =>
        list.every(
          (a) =>
            AFFILIATION_STATUSES.includes(a.status) &&
            a.employerName.trim() !== '' &&
            /^\d{11}$/.test(a.employerNumber) &&
            DATE.test(a.startDate) &&
            (a.endDate === null || (DATE.test(a.endDate) && a.endDate >= a.startDate)) &&
            a.startDate >= p.birthDate.replace(/-00/g, '-01') &&
            (a.endDate ?? a.startDate) <= REGISTER_DATE,
        ),
      ),
    ).toEqual([]);
    expect(
      breaking((_, list) => list.every((a, i) => i === 0 || list[i - 1].startDate <= a.startDate)),
    ).toEqual([]);
  });

  it('closes every affiliation of a deceased person on or before the death date', () => {
    const deceased = rows.filter(([p]) => p.deathDate !== null);
    expect(deceased.length).toBeGreaterThan(50);
    expect(
      breaking(
        (p, list) =>
          p.deathDate === null ||
          list.every((a) => a.endDate !== null && a.endDate <= (p.deathDate as string)),
      ),
    ).toEqual([]);
  });

  it('makes minors mostly co-insured and older persons pensioners', () => {
    const living = rows.filter(([p]) => p.deathDate === null);
    const minors = living.filter(([p]) => age(p.birthDate, REGISTER_DATE) < 18);
    const seniors = living.filter(([p]) => age(p.birthDate, REGISTER_DATE) >= 67);
    expect(minors.length).toBeGreaterThan(100);
    expect(seniors.length).toBeGreaterThan(100);
    const open = (status: string) => (_: RnppPerson, a: Affiliation[]) =>
      a.some((x) => x.status === status && x.endDate === null);
    expect(share(open('CO_INSURED'), minors)).toBeGreaterThan(0.8);
    expect(share((_, a) => a.every((x) => x.status === 'CO_INSURED'), minors)).toBe(1);
    expect(share(open('PENSIONER'), seniors)).toBeGreaterThan(0.85);
    const working = living.filter(
      ([p]) => age(p.birthDate, REGISTER_DATE) >= 30 && age(p.birthDate, REGISTER_DATE) < 55,
    );
    const employed = (_: RnppPerson, a: Affiliation[]) =>
      a.some((x) => (x.status === 'EMPLOYED' || x.status === 'SELF_EMPLOYED') && x.endDate === null);
    expect(share(employed, working)).toBeGreaterThan(0.6);
    expect(share((_, a) => a.some((x) => x.status === 'SELF_EMPLOYED'))).toBeGreaterThan(0.05);
  });
});
