import { Readable } from 'node:stream';
import fc from 'fast-check';
import { readCsvRecords, type CsvReadOptions, type CsvRecord } from './csv-reader';
import { LineTooLongError } from './line-limits';

async function read(chunks: (string | Buffer)[] | string, options?: CsvReadOptions): Promise<CsvRecord[]> {
  const out: CsvRecord[] = [];
  for await (const r of readCsvRecords(
    Readable.from(typeof chunks === 'string' ? [chunks] : chunks),
    options,
  )) {
    out.push(r);
  }
  return out;
}

const fields = async (text: string): Promise<string[][]> => (await read(text)).map((r) => r.fields);

function cell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

describe('readCsvRecords', () => {
  it('reads plain records with CRLF line ends and names the line each starts at', async () => {
    expect(await read('a,b,c\r\n1,2,3\r\n')).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1', '2', '3'] },
    ]);
  });

  it('accepts LF line ends and a missing final newline', async () => {
    expect(await fields('a,b\n1,2')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
    expect(await fields('a,b\r\n1,2')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('does not make a record of the trailing newline, nor of empty lines', async () => {
    expect(await read('a\r\n\r\nb\n\nc\r\n')).toEqual([
      { line: 1, fields: ['a'] },
      { line: 3, fields: ['b'] },
      { line: 5, fields: ['c'] },
    ]);
    expect(await read('')).toEqual([]);
    expect(await read('\r\n')).toEqual([]);
  });

  it('keeps empty cells, first, middle and last', async () => {
    expect(await fields(',a,,b,\r\n')).toEqual([['', 'a', '', 'b', '']]);
    expect(await fields(',\r\n')).toEqual([['', '']]);
  });

  it('reads quoted fields with commas and doubled quotes', async () => {
    expect(await fields('"a,b","say ""hi""",""\r\n')).toEqual([['a,b', 'say "hi"', '']]);
    expect(await fields('""""\r\n')).toEqual([['"']]);
  });

  it('keeps CR, LF and CRLF inside quotes byte for byte, and counts them as physical lines', async () => {
    const records = await read('x,"1\r\n2"\r\ny,"3\n4\r5"\r\nz,6\r\n');
    expect(records).toEqual([
      { line: 1, fields: ['x', '1\r\n2'] },
      { line: 3, fields: ['y', '3\n4\r5'] },
      { line: 6, fields: ['z', '6'] },
    ]);
  });

  it('gives the same records whatever the chunk boundaries (a CRLF split between chunks included)', async () => {
    const text = 'a,"b\r\nc",""""\r\n1,2,3\r\n';
    const whole = await read(text);
    for (let cut = 0; cut <= text.length; cut++) {
      expect(await read([text.slice(0, cut), text.slice(cut)])).toEqual(whole);
    }
    expect(await read([...text])).toEqual(whole);
  });

  it('decodes UTF-8 characters split between buffer chunks', async () => {
    const bytes = Buffer.from('é,"ü, 😀"\r\n', 'utf8');
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    expect((await read(chunks)).map((r) => r.fields)).toEqual([['é', 'ü, 😀']]);
  });

  it('marks records that break RFC 4180 instead of guessing silently', async () => {
    const [stray] = await read('ab"c,d\r\n');
    expect(stray.error).toBe('quote inside an unquoted field');
    const [after] = await read('"ab"c,d\r\n');
    expect(after.error).toBe('text after the closing quote of a field');
    const [open] = await read('a,"bc\r\nd,e');
    expect(open).toEqual({ line: 1, fields: ['a', 'bc\r\nd,e'], error: expect.stringMatching(/not closed/) });
    // The next record is read normally.
    expect(await read('a"b\r\nc,d\r\n')).toEqual([
      { line: 1, fields: ['a"b'], error: 'quote inside an unquoted field' },
      { line: 2, fields: ['c', 'd'] },
    ]);
  });

  it('stops at a record longer than maxRecordBytes, naming its line (memory stays bounded)', async () => {
    await expect(read(`a,b\r\n${'x'.repeat(100)},y\r\nok\r\n`, { maxRecordBytes: 50 })).rejects.toThrow(
      new LineTooLongError(2, 50, 'record'),
    );
    // counted in UTF-8 bytes: 30 two-byte characters are 60 bytes
    await expect(read(`h\r\n${'é'.repeat(30)}\r\n`, { maxRecordBytes: 50 })).rejects.toThrow(/^line 2: /);
    expect(await read(`h\r\n${'x'.repeat(48)},y\r\n`, { maxRecordBytes: 50 })).toEqual([
      { line: 1, fields: ['h'] },
      { line: 2, fields: ['x'.repeat(48), 'y'] },
    ]);
  });

  it('holds the header row to its own limit', async () => {
    const header = `${'c'.repeat(20)},d\r\nshort\r\n`;
    await expect(read(header, { maxHeaderBytes: 10 })).rejects.toThrow(
      'line 1: the header row is longer than 10 bytes',
    );
    expect(await read(header, { maxHeaderBytes: 30 })).toHaveLength(2);
  });

  it('stops without reading the rest of an endless record', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      yield Buffer.from('h\r\n');
      for (;;) {
        pulled++;
        yield Buffer.alloc(1024, 0x61);
      }
    }
    const out: unknown[] = [];
    await expect(
      (async () => {
        for await (const r of readCsvRecords(endless(), { maxRecordBytes: 4096 })) out.push(r);
      })(),
    ).rejects.toThrow(LineTooLongError);
    expect(out).toHaveLength(1);
    expect(pulled).toBeLessThanOrEqual(5);
  });

  it('reads back any table written the RFC 4180 way, in any chunking (property)', async () => {
    const value = fc.string({ unit: fc.constantFrom('a', 'é', ',', '"', '\r', '\n', ' ', '|') });
    const table = fc.array(fc.array(value, { minLength: 2, maxLength: 5 }), { minLength: 1, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(table, fc.array(fc.nat(), { maxLength: 6 }), async (rows, cuts) => {
        const text = rows.map((r) => `${r.map(cell).join(',')}\r\n`).join('');
        const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...at].map((c, i, all) => text.slice(c, all[i + 1] ?? text.length));
        const records = await read(chunks.map((c) => Buffer.from(c, 'utf8')));
        expect(records.map((r) => r.fields)).toEqual(rows);
        expect(records.every((r) => r.error === undefined)).toBe(true);
        // Each record starts on the physical line after all the line breaks written before it.
        let line = 1;
        rows.forEach((r, i) => {
          expect(records[i].line).toBe(line);
          line += (`${r.map(cell).join(',')}\r\n`.match(/\r\n|\r|\n/g) ?? []).length;
        });
      }),
      { numRuns: 200 },
    );
  });
});
