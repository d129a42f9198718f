import { generatePopulation } from '../../../../apps/rnpp-simulator/src/population';
import { createRoleRegister } from '../../../../apps/rcs-simulator/src/business-roles';
import { readRcsAnswer } from './rcs-answer';

const population = generatePopulation({ size: 2000, seed: 20131128 });
const register = createRoleRegister(population);
const all = population.list(0, population.size);
const holder = all.find((m) => (register.rolesOf(m) ?? []).length > 0) as string;
const other = all.find((m) => m !== holder) as string;
const role = {
  rcsNumber: 'B123456',
  companyName: 'Alzette Invest S.A.',
  role: 'DIRECTOR',
  since: '2010-05-06',
};

describe('readRcsAnswer', () => {
  it("reads every person's answer as the simulator writes it", () => {
    for (const m of all) {
      const roles = register.rolesOf(m) ?? [];
      expect(readRcsAnswer(JSON.parse(JSON.stringify({ matricule: m, roles })), m)).toEqual(roles);
    }
  });

  it('reads an empty list as an answer', () => {
    expect(readRcsAnswer({ matricule: holder, roles: [] }, holder)).toEqual([]);
  });

  it("refuses another person's roles, or an answer naming no one", () => {
    expect(readRcsAnswer({ matricule: other, roles: register.rolesOf(other) }, holder)).toEqual({
      where: 'matricule',
    });
    expect(readRcsAnswer({ roles: [] }, holder)).toEqual({ where: 'matricule' });
  });

  it('refuses an answer that is not an object, or without a list of roles', () => {
    for (const v of [null, 'x', [], 42]) expect(readRcsAnswer(v, holder)).toEqual({ where: 'not-an-object' });
    expect(readRcsAnswer({ matricule: holder }, holder)).toEqual({ where: 'roles' });
    expect(readRcsAnswer({ matricule: holder, roles: {} }, holder)).toEqual({ where: 'roles' });
    expect(readRcsAnswer({ matricule: holder, roles: ['B1'] }, holder)).toEqual({ where: 'roles' });
    const tooMany = Array.from({ length: 101 }, () => role);
    expect(readRcsAnswer({ matricule: holder, roles: tooMany }, holder)).toEqual({ where: 'roles' });
  });

  it.each<[string, unknown]>([
    ['rcsNumber', 'B1234567'],
    ['rcsNumber', 'A123456'],
    ['rcsNumber', 123456],
    ['rcsNumber', undefined],
    ['companyName', ''],
    ['companyName', 'Bell\u0007'],
    ['role', 'CEO'],
    ['role', undefined],
    ['since', '06/05/2010'],
    ['since', '2010-02-30'],
    ['since', '2010-00-00'],
  ])('refuses a role whose %s is %p', (field, value) => {
    expect(readRcsAnswer({ matricule: holder, roles: [{ ...role, [field]: value }] }, holder)).toEqual({
      where: `role.${field}`,
    });
  });

  it('drops properties outside the contract instead of disclosing them', () => {
    expect(
      readRcsAnswer({ matricule: holder, roles: [{ ...role, share: '51%' }], extra: 1 }, holder),
    ).toEqual([role]);
  });
});
