import { isValidMatricule } from '@broker/matricule';
import type { RnppPerson } from '../../../libs/sources/src/rnpp/rnpp-person';
import { generatePopulation, REGISTER_DATE } from '../../rnpp-simulator/src/population';
import { type BusinessRole, createRoleRegister, generateCompanies, ROLES } from './business-roles';

const SIZE = 5000;
const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;

describe('the RCS role register', () => {
  const population = generatePopulation({ size: SIZE, seed: 13 });
  const register = createRoleRegister(population);
  const rows: [RnppPerson, BusinessRole[]][] = population
    .list(0, SIZE)
    .map((m) => [population.get(m) as RnppPerson, register.rolesOf(m) as BusinessRole[]]);
  const holders = rows.filter(([, r]) => r.length > 0);

  it('knows exactly the RNPP persons, and is deterministic', () => {
    expect(register.size).toBe(SIZE);
    expect(rows.every(([, r]) => Array.isArray(r))).toBe(true);
    expect(register.rolesOf('1893120105732')).toBeUndefined();
    const again = createRoleRegister(generatePopulation({ size: SIZE, seed: 13 }));
    for (const [p, r] of rows.filter((_, i) => i % 41 === 0)) expect(again.rolesOf(p.matricule)).toEqual(r);
  });

  it('gives a role to about one person in ten', () => {
    expect(holders.length / SIZE).toBeGreaterThan(0.08);
    expect(holders.length / SIZE).toBeLessThan(0.12);
    expect(holders.some(([, r]) => r.length > 1)).toBe(true);
  });

  it('answers well-formed roles held by living adults, since their coming of age', () => {
    const broken = holders.filter(
      ([p, roles]) =>
        p.deathDate !== null ||
        new Set(roles.map((r) => r.rcsNumber)).size !== roles.length ||
        !roles.every(
          (r, i) =>
            /^B\d{5,6}$/.test(r.rcsNumber) &&
            r.companyName.trim() !== '' &&
            ROLES.includes(r.role) &&
            DATE.test(r.since) &&
            r.since <= REGISTER_DATE &&
            Number(r.since.slice(0, 4)) - Number(p.birthDate.slice(0, 4)) >= 18 &&
            (i === 0 || roles[i - 1].since <= r.since),
        ),
    );
    expect(broken.map(([p]) => p.matricule)).toEqual([]);
    expect(holders.every(([p]) => isValidMatricule(p.matricule))).toBe(true);
  });

  it('draws companies with distinct names and RCS numbers, each number always with the same name', () => {
    const companies = generateCompanies(13);
    expect(new Set(companies.map((c) => c.rcsNumber)).size).toBe(companies.length);
    expect(new Set(companies.map((c) => c.name)).size).toBe(companies.length);
    const names = new Map(companies.map((c) => [c.rcsNumber, c.name]));
    expect(holders.flatMap(([, r]) => r).every((r) => names.get(r.rcsNumber) === r.companyName)).toBe(true);
  });
});
