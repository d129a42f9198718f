import { pick, seededRandom } from './seeded-random';

describe('seededRandom', () => {
  it('gives the same draws for the same parts, and other draws for other parts', () => {
    const draws = (...parts: (string | number)[]) => {
      const random = seededRandom(...parts);
      return [random(), random(), random()];
    };
    expect(draws(1, '0001010100012', 'roles')).toEqual(draws(1, '0001010100012', 'roles'));
    expect(draws(1, '0001010100012', 'roles')).not.toEqual(draws(2, '0001010100012', 'roles'));
    for (const d of draws('x')) expect(d >= 0 && d < 1).toBe(true);
  });

  it('picks an item of the list', () => {
    const random = seededRandom('pick');
    for (let i = 0; i < 50; i++) expect(['a', 'b', 'c']).toContain(pick(['a', 'b', 'c'], random));
  });
});
