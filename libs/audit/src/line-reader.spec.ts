import { Readable } from 'node:stream';
import { LineTooLongError } from './line-limits';
import { readLines } from './line-reader';

async function all(chunks: (string | Buffer)[], max?: number): Promise<{ line: number; text: string }[]> {
  const out: { line: number; text: string }[] = [];
  for await (const l of readLines(Readable.from(chunks), max)) out.push(l);
  return out;
}

describe('readLines', () => {
  it('splits at LF, drops a CR before it, and keeps a last line without LF', async () => {
    expect(await all(['a\r\nb', 'c\n\nd'])).toEqual([
      { line: 1, text: 'a' },
      { line: 2, text: 'bc' },
      { line: 3, text: '' },
      { line: 4, text: 'd' },
    ]);
  });

  it('decodes a character split between chunks', async () => {
    const e = Buffer.from('é\n', 'utf8');
    expect(await all([e.subarray(0, 1), e.subarray(1)])).toEqual([{ line: 1, text: 'é' }]);
  });

  it('accepts a line of exactly the limit, CRLF included', async () => {
    expect(await all([`${'x'.repeat(8)}\r\n`, 'y'], 8)).toEqual([
      { line: 1, text: 'x'.repeat(8) },
      { line: 2, text: 'y' },
    ]);
  });

  it('stops at the first line over the limit, naming it, before reading the rest', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      yield Buffer.from('ok\nfine\n');
      for (;;) {
        pulled++;
        yield Buffer.alloc(1024, 0x61);
      }
    }
    const lines: number[] = [];
    let error: unknown;
    try {
      for await (const l of readLines(endless(), 4096)) lines.push(l.line);
    } catch (e) {
      error = e;
    }
    expect(lines).toEqual([1, 2]);
    expect(error).toBeInstanceOf(LineTooLongError);
    expect((error as LineTooLongError).line).toBe(3);
    expect((error as Error).message).toMatch(/^line 3: the line is longer than 4096 bytes/);
    expect(pulled).toBeLessThanOrEqual(5);
  });
});
