import fc from 'fast-check';
import { generatePopulation } from '../../../../apps/rnpp-simulator/src/population';
import { rnppAnswerProblem } from './rnpp-answer';
import { RNPP_FIELDS, type RnppField, type RnppPerson } from './rnpp-person';

const population = generatePopulation({ size: 2000, seed: 20131128 });
const persons = population.list(0, 2000).map((m) => population.get(m) as RnppPerson);
const alive = persons.find((p) => p.address !== null && p.parents.length > 0) as RnppPerson;
const other = persons.find((p) => p.matricule !== alive.matricule) as RnppPerson;

/** The register's answer for `fields`, as the simulator builds it. */
function answer(p: RnppPerson, fields: readonly RnppField[]): Record<string, unknown> {
  return Object.fromEntries([['matricule', p.matricule], ...fields.map((f) => [f, p[f]])]);
}

describe('rnppAnswerProblem', () => {
  it('accepts every record of a generated population, whatever fields are asked (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...persons), fc.subarray([...RNPP_FIELDS]), (p, fields) => {
        expect(rnppAnswerProblem(answer(p, fields), p.matricule, fields)).toBeNull();
      }),
      { numRuns: 500 },
    );
    for (const p of persons) expect(rnppAnswerProblem(p, p.matricule, RNPP_FIELDS)).toBeNull();
  });

  it("refuses another person's record, even one with every field well formed", () => {
    expect(rnppAnswerProblem(answer(other, ['surname']), alive.matricule, ['surname'])).toBe('matricule');
    expect(rnppAnswerProblem({ surname: alive.surname }, alive.matricule, ['surname'])).toBe('matricule');
  });

  it('refuses an answer that is not an object', () => {
    for (const v of [null, 'x', 42, [answer(alive, [])]]) {
      expect(rnppAnswerProblem(v, alive.matricule, [])).toBe('not-an-object');
    }
  });

  it('refuses a field asked for that is missing', () => {
    expect(rnppAnswerProblem(answer(alive, ['surname']), alive.matricule, ['surname', 'sex'])).toBe('sex');
  });

  it.each<[RnppField, unknown]>([
    ['surname', 42],
    ['surname', ''],
    ['surname', 'Nul\u0000'],
    ['surname', 'Half \ud800'],
    ['surname', null],
    ['givenNames', 'Anna'],
    ['givenNames', ['Anna', 7]],
    ['birthDate', '01/02/1980'],
    ['birthDate', '1980-13-01'],
    ['birthDate', 19800101],
    ['birthPlace', 'Luxembourg'],
    ['birthPlace', { locality: 'Luxembourg' }],
    ['sex', 'X'],
    ['nationalities', 'LU'],
    ['nationalities', ['lux']],
    ['nationalities', []],
    ['address', 'Rue de la Gare 1'],
    ['address', { street: 'Rue', houseNumber: 1 }],
    ['civilStatus', 'single'],
    ['refugeeStatus', true],
    ['parents', [{ matricule: '1980010112345' }]],
    ['parents', ['1980010112340']],
    ['children', '1980010112345'],
    ['deathDate', '2020-02'],
    ['deathPlace', 3],
    ['nobleTitle', ['Baron']],
  ])('refuses %s of the wrong shape (%p)', (field, value) => {
    const record = { ...answer(alive, [field]), [field]: value };
    expect(rnppAnswerProblem(record, alive.matricule, [field])).toBe(field);
  });

  it('does not check fields that were not asked for (they are dropped, not disclosed)', () => {
    const record = { ...answer(alive, ['surname']), sex: 'X' };
    expect(rnppAnswerProblem(record, alive.matricule, ['surname'])).toBeNull();
  });

  it('accepts null where the register has no value: no address, alive, no title', () => {
    const record = { ...answer(alive, ['address', 'deathDate', 'deathPlace', 'nobleTitle']), address: null };
    expect(
      rnppAnswerProblem(record, alive.matricule, ['address', 'deathDate', 'deathPlace', 'nobleTitle']),
    ).toBeNull();
  });
});
