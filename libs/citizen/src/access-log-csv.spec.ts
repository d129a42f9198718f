import { parse as parseCsv } from 'csv-parse/sync';
import fc from 'fast-check';
import { CITIZEN_CSV_COLUMNS, csvField, csvHeader, csvRecord, entryCsvRecord } from './access-log-csv';
import type { CitizenLogEntry } from './citizen-views';

function entry(over: Partial<CitizenLogEntry> = {}): CitizenLogEntry {
  return {
    id: '42',
    occurredAt: new Date('2026-03-01T10:00:00.000Z'),
    channel: 'sync',
    member: { id: 'ccss', name: 'Centre commun de la sécurité sociale' },
    purpose: {
      code: 'SOCIAL-SECURITY-AFFILIATION',
      labels: { en: 'Registering you', fr: 'Vous affilier', de: null, lb: null },
    },
    itemsRequested: ['name', 'birth'],
    itemsDisclosed: ['name', 'birth'],
    outcome: 'DISCLOSED',
    reasonCode: null,
    sources: [{ source: 'rnpp', items: ['name', 'birth'], failedItems: [] }],
    consentJti: 'c-1',
    consentIssuer: 'myguichet',
    jobId: null,
    reported: false,
    ...over,
  };
}

describe('csvField', () => {
  it('leaves plain text alone', () => {
    expect(csvField('ccss')).toBe('ccss');
    expect(csvField('Lëtzebuerg')).toBe('Lëtzebuerg');
    expect(csvField(null)).toBe('');
    expect(csvField(undefined)).toBe('');
  });

  it('quotes commas, quotes and line breaks, doubling quotes (RFC 4180)', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField('a\r\nb')).toBe('"a\r\nb"');
  });

  it('defuses spreadsheet formulas', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-1')).toBe("'-1");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
  });

  it('parses back to the same text with an independent parser (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme' }), { minLength: 1, maxLength: 6 }), (values) => {
        const rows = parseCsv(csvRecord(values), { relax_column_count: false }) as string[][];
        expect(rows).toHaveLength(1);
        expect(rows[0]).toEqual(values.map((v) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v)));
      }),
    );
  });
});

describe('entryCsvRecord', () => {
  it('writes one record per entry under the header, parseable by column name', () => {
    const text =
      csvHeader() +
      entryCsvRecord(entry(), 'fr') +
      entryCsvRecord(
        entry({
          id: '43',
          outcome: 'REFUSED',
          reasonCode: 'CONSENT_REVOKED',
          itemsDisclosed: [],
          member: { id: 'odd', name: 'Name, with "quotes"\nand a line' },
          purpose: null,
          reported: true,
        }),
        'de',
      );
    const rows = parseCsv(text, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0])).toEqual([...CITIZEN_CSV_COLUMNS]);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      id: '42',
      occurredAt: '2026-03-01T10:00:00.000Z',
      memberName: 'Centre commun de la sécurité sociale',
      purpose: 'SOCIAL-SECURITY-AFFILIATION',
      purposeLabel: 'Vous affilier',
      itemsRequested: 'name birth',
      outcome: 'DISCLOSED',
      reasonCode: '',
      consentJti: 'c-1',
      reported: 'no',
    });
    expect(rows[1]).toMatchObject({
      id: '43',
      memberName: 'Name, with "quotes"\nand a line',
      purpose: '',
      purposeLabel: '',
      itemsDisclosed: '',
      reasonCode: 'CONSENT_REVOKED',
      reported: 'yes',
    });
  });

  it('falls back to the English label, then to the code', () => {
    const de = parseCsv(csvHeader() + entryCsvRecord(entry(), 'de'), { columns: true }) as Record<
      string,
      string
    >[];
    expect(de[0].purposeLabel).toBe('Registering you');
    const none = entry({
      purpose: { code: 'P-X', labels: { en: null, fr: null, de: null, lb: null } },
    });
    const rows = parseCsv(csvHeader() + entryCsvRecord(none, 'lb'), { columns: true }) as Record<
      string,
      string
    >[];
    expect(rows[0].purposeLabel).toBe('P-X');
  });

  it('appends each item with its register, the items not delivered and the registers in words', () => {
    const partial = entry({
      itemsRequested: ['name', 'affiliation', 'businessRoles'],
      itemsDisclosed: ['name', 'businessRoles'],
      sources: [
        { source: 'rnpp', items: ['name'], failedItems: [] },
        { source: 'ccss', items: ['affiliation'], failedItems: ['affiliation'] },
        { source: 'rcs', items: ['businessRoles'], failedItems: [] },
      ],
    });
    const text = csvHeader() + entryCsvRecord(partial, 'fr') + entryCsvRecord(entry(), 'de');
    const rows = parseCsv(text, { columns: true }) as Record<string, string>[];
    // the earlier columns keep their places: new ones come last
    expect(CITIZEN_CSV_COLUMNS.slice(0, 3)).toEqual(['id', 'occurredAt', 'channel']);
    expect(CITIZEN_CSV_COLUMNS.slice(-4)).toEqual(['reported', 'itemSources', 'itemsFailed', 'sourceTitles']);
    expect(rows[0]).toMatchObject({
      itemSources: 'name:rnpp affiliation:ccss businessRoles:rcs',
      itemsFailed: 'affiliation',
      sourceTitles:
        'Registre national des personnes physiques (RNPP); Centre commun de la sécurité sociale (CCSS); Registre de commerce et des sociétés (RCS)',
    });
    expect(rows[1]).toMatchObject({
      itemSources: 'name:rnpp birth:rnpp',
      itemsFailed: '',
      sourceTitles: 'Nationales Register der natürlichen Personen (RNPP)',
    });
  });

  it('ends every record with CRLF', () => {
    expect(entryCsvRecord(entry(), 'en').endsWith('\r\n')).toBe(true);
    expect(csvHeader()).toBe(`${CITIZEN_CSV_COLUMNS.join(',')}\r\n`);
  });
});
