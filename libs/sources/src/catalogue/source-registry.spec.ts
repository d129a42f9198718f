import { SOURCE_DESCRIPTORS, SOURCE_REGISTRY } from './catalogue';
import type { SourceDescriptor } from './source-descriptor';
import { SourceRegistry } from './source-registry';

const titles = { en: 'X', fr: 'X', de: 'X', lb: 'X' };
const src = (name: string, items: [string, string[]][], authoritative = false): SourceDescriptor => ({
  name,
  titles,
  authoritative,
  items: items.map(([n, fields]) => ({ name: n, fields, registerFields: fields, description: n })),
});

describe('SourceRegistry', () => {
  it('refuses two sources declaring the same data item', () => {
    expect(
      () => new SourceRegistry([src('rnpp', [['name', ['surname']]]), src('other', [['name', ['alias']]])]),
    ).toThrow('data item name is declared by both rnpp and other');
  });

  it('refuses a GraphQL field disclosed by two items, a source registered twice, the matricule', () => {
    expect(() => new SourceRegistry([src('a', [['x', ['f']]]), src('b', [['y', ['f']]])])).toThrow(
      'Person.f of b is already disclosed by x',
    );
    expect(() => new SourceRegistry([src('a', [['x', ['f']]]), src('a', [['y', ['g']]])])).toThrow(
      'source a is registered twice',
    );
    expect(() => new SourceRegistry([src('a', [['x', ['matricule']]])])).toThrow(/query input/);
  });

  it("keeps today's RNPP items first, in their order, then the CCSS and RCS items", () => {
    expect(SOURCE_REGISTRY.items).toEqual([
      'name',
      'birth',
      'sex',
      'nationality',
      'address',
      'civilStatus',
      'refugeeStatus',
      'filiation',
      'death',
      'nobleTitle',
      'affiliation',
      'businessRoles',
    ]);
    expect(SOURCE_DESCRIPTORS.map((s) => s.name)).toEqual(['rnpp', 'ccss', 'rcs']);
  });

  it('plans one call per source asked, in catalogue order, with only the register fields of the items', () => {
    expect(SOURCE_REGISTRY.plan(['businessRoles', 'name', 'affiliation', 'birth'])).toEqual([
      {
        source: 'rnpp',
        items: ['name', 'birth'],
        registerFields: ['surname', 'givenNames', 'birthDate', 'birthPlace'],
      },
      { source: 'ccss', items: ['affiliation'], registerFields: ['affiliations'] },
      { source: 'rcs', items: ['businessRoles'], registerFields: ['businessRoles'] },
    ]);
    expect(SOURCE_REGISTRY.plan(['affiliation']).map((p) => p.source)).toEqual(['ccss']);
  });

  it('asks the authoritative source alone when only the matricule is selected', () => {
    expect(SOURCE_REGISTRY.plan([])).toEqual([{ source: 'rnpp', items: [], registerFields: [] }]);
  });

  it('normalises items to catalogue order without duplicates, and refuses an unknown one', () => {
    expect(SOURCE_REGISTRY.normalise(['businessRoles', 'name', 'name'])).toEqual(['name', 'businessRoles']);
    expect(() => SOURCE_REGISTRY.normalise(['salary'])).toThrow('unknown data item salary');
  });

  it('names each register in the four languages of the citizen page', () => {
    for (const s of SOURCE_REGISTRY.sources)
      for (const lang of ['en', 'fr', 'de', 'lb'] as const)
        expect(s.titles[lang]).toContain(s.name.toUpperCase());
  });
});
