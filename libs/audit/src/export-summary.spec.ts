import { createHash } from 'node:crypto';
import type { ExportChunk } from '@broker/access-log';
import { ExportSummaries, ExportTally, MAX_SUMMARY_RUNS } from './export-summary';

const hash = (seq: number) => createHash('sha256').update(String(seq)).digest('hex');

/** A chunk of the given seqs (in order), as exportChunk would give it. */
function chunk(seqs: number[]): ExportChunk {
  const breaks: [string, string][] = [];
  for (let i = 1; i < seqs.length; i++)
    if (seqs[i] !== seqs[i - 1] + 1) breaks.push([String(seqs[i - 1]), String(seqs[i])]);
  return {
    text: '',
    hashes: seqs.map((s) => `${hash(s)}\n`).join(''),
    count: seqs.length,
    firstSeq: String(seqs[0]),
    lastSeq: String(seqs[seqs.length - 1]),
    lastAt: '2026-01-01 00:00:00+00',
    breaks,
  };
}

function digestOf(seqs: number[]): string {
  const h = createHash('sha256');
  for (const s of seqs) h.update(`${hash(s)}\n`);
  return h.digest('hex');
}

describe('ExportTally', () => {
  it('sums a contiguous export over several chunks: one run, complete', () => {
    const t = new ExportTally();
    t.add(chunk([5, 6, 7]));
    t.add(chunk([8, 9]));
    expect(t.finish()).toEqual({
      count: 5,
      firstSeq: '5',
      lastSeq: '9',
      complete: true,
      digest: digestOf([5, 6, 7, 8, 9]),
      runs: [['5', '9']],
    });
  });

  it('finds gaps inside chunks and between them', () => {
    const t = new ExportTally();
    t.add(chunk([1, 2, 4]));
    t.add(chunk([5, 9]));
    t.add(chunk([11]));
    const s = t.finish();
    expect(s.complete).toBe(false);
    expect(s.runs).toEqual([
      ['1', '2'],
      ['4', '5'],
      ['9', '9'],
      ['11', '11'],
    ]);
    expect(s.digest).toBe(digestOf([1, 2, 4, 5, 9, 11]));
  });

  it('states an empty export as the old digest did', () => {
    expect(new ExportTally().finish()).toEqual({
      count: 0,
      firstSeq: null,
      lastSeq: null,
      complete: true,
      digest: digestOf([]),
      runs: [],
    });
  });

  it('drops the runs once there are more than an anchor could prove', () => {
    const t = new ExportTally();
    const seqs = Array.from({ length: MAX_SUMMARY_RUNS + 1 }, (_, i) => 2 * i + 1);
    t.add(chunk(seqs));
    const s = t.finish();
    expect(s.runs).toBeNull();
    expect(s.count).toBe(seqs.length);
  });
});

describe('ExportSummaries', () => {
  const summary = new ExportTally().finish();

  it('finds a summary by filter (in any key order) and cut, not another', () => {
    const c = new ExportSummaries();
    c.put({ memberId: 'm', purpose: 'p' }, 10n, summary);
    expect(c.get({ purpose: 'p', memberId: 'm' }, 10n)).toBe(summary);
    expect(c.get({ purpose: 'p', memberId: 'm' }, 11n)).toBeUndefined();
    expect(c.get({ memberId: 'm' }, 10n)).toBeUndefined();
    expect(c.get({ memberId: 'm', purpose: 'p', members: ['m'] }, 10n)).toBeUndefined();
  });

  it('keeps at most `max`, dropping the oldest, and forgets after the ttl', () => {
    const c = new ExportSummaries(2, 60_000);
    c.put({}, 1n, summary);
    c.put({}, 2n, summary);
    c.put({}, 3n, summary);
    expect(c.get({}, 1n)).toBeUndefined();
    expect(c.get({}, 3n)).toBe(summary);
    const expired = new ExportSummaries(2, -1);
    expired.put({}, 1n, summary);
    expect(expired.get({}, 1n)).toBeUndefined();
  });
});
