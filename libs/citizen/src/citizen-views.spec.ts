import { entrySources, sourceViews } from './citizen-views';

describe('entrySources', () => {
  it("groups an entry's items by the register its itemSources name, with the failed ones", () => {
    expect(
      entrySources({
        itemsRequested: ['name', 'address', 'affiliation', 'businessRoles'],
        itemSources: ['name:rnpp', 'address:rnpp', 'affiliation:ccss', 'businessRoles:rcs'],
        itemsFailed: ['affiliation'],
        source: 'rnpp+ccss+rcs',
      }),
    ).toEqual([
      { source: 'rnpp', items: ['name', 'address'], failedItems: [] },
      { source: 'ccss', items: ['affiliation'], failedItems: ['affiliation'] },
      { source: 'rcs', items: ['businessRoles'], failedItems: [] },
    ]);
  });

  it('trusts the recorded pairs over the catalogue', () => {
    expect(
      entrySources({
        itemsRequested: ['name'],
        itemSources: ['name:oldRegister'],
        itemsFailed: null,
        source: 'oldRegister',
      }),
    ).toEqual([{ source: 'oldRegister', items: ['name'], failedItems: [] }]);
  });

  it('places the items of an entry written before there were several sources by the catalogue', () => {
    expect(
      entrySources({
        itemsRequested: ['name', 'birth'],
        itemSources: null,
        itemsFailed: null,
        source: 'rnpp',
      }),
    ).toEqual([{ source: 'rnpp', items: ['name', 'birth'], failedItems: [] }]);
    // a refusal before any register was asked still says which register holds each item
    expect(
      entrySources({
        itemsRequested: ['civilStatus', 'businessRoles'],
        itemSources: null,
        itemsFailed: null,
        source: null,
      }),
    ).toEqual([
      { source: 'rnpp', items: ['civilStatus'], failedItems: [] },
      { source: 'rcs', items: ['businessRoles'], failedItems: [] },
    ]);
  });

  it('names a register asked without any item (the matricule alone), in catalogue order', () => {
    expect(
      entrySources({ itemsRequested: [], itemSources: null, itemsFailed: null, source: 'rnpp' }),
    ).toEqual([{ source: 'rnpp', items: [], failedItems: [] }]);
    expect(
      entrySources({
        itemsRequested: ['affiliation'],
        itemSources: ['affiliation:ccss'],
        itemsFailed: null,
        source: 'rnpp+ccss',
      }).map((s) => s.source),
    ).toEqual(['rnpp', 'ccss']);
  });

  it('names no register for an entry that read none (an auditor reading flags)', () => {
    expect(
      entrySources({ itemsRequested: [], itemSources: null, itemsFailed: null, source: 'access-report' }),
    ).toEqual([]);
  });
});

describe('sourceViews', () => {
  it('lists every register of the catalogue with its names in the four languages and its items', () => {
    const views = sourceViews();
    expect(views.map((v) => v.name)).toEqual(['rnpp', 'ccss', 'rcs']);
    expect(views[1]).toEqual({
      name: 'ccss',
      titles: {
        en: 'Joint Social Security Centre (CCSS)',
        fr: 'Centre commun de la sécurité sociale (CCSS)',
        de: 'Gemeinsames Zentrum der Sozialversicherung (CCSS)',
        lb: 'Gemeinsaamt Zenter vun der Sozialversécherung (CCSS)',
      },
      items: ['affiliation'],
    });
    expect(views[0].items).toContain('filiation');
    for (const v of views)
      for (const l of ['en', 'fr', 'de', 'lb'] as const) expect(v.titles[l]).toBeTruthy();
  });
});
