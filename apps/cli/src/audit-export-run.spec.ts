import { leanExportOptions } from './audit-export-run';

describe('leanExportOptions: the command lines main.ts runs without the Nest CLI', () => {
  it('takes every export flag, as `--flag value` or `--flag=value`', () => {
    expect(
      leanExportOptions([
        '--url',
        'http://127.0.0.1:4000',
        '--token=a.b.c',
        '--from',
        '2026-01-01T00:00:00Z',
        '--to=2026-02-01T00:00:00Z',
        '--member-id',
        'cae',
        '--purpose',
        'P',
        '--subject',
        '1893120105732',
        '--outcome',
        'REFUSED',
        '--format',
        'csv',
        '--out',
        'x.csv',
      ]),
    ).toEqual({
      url: 'http://127.0.0.1:4000',
      token: 'a.b.c',
      from: '2026-01-01T00:00:00Z',
      to: '2026-02-01T00:00:00Z',
      memberId: 'cae',
      purpose: 'P',
      subject: '1893120105732',
      outcome: 'REFUSED',
      format: 'csv',
      out: 'x.csv',
    });
    expect(leanExportOptions([])).toEqual({});
  });

  it('leaves help, unknown or repeated flags, stray arguments and missing values to the full CLI', () => {
    for (const args of [
      ['--help'],
      ['-h'],
      ['--url', 'u', '--bogus', 'x'],
      ['--url', 'u', '--url', 'v'],
      ['stray'],
      ['--out'],
      ['--out', '--url', 'u'],
    ])
      expect(leanExportOptions(args)).toBeUndefined();
  });
});
