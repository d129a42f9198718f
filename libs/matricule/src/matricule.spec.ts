import fc from 'fast-check';
import {
  birthDateOfMatricule,
  checkMatricule,
  isValidMatricule,
  luhnDigit,
  makeMatricule,
  verhoeffDigit,
} from './index';

// A fixed clock keeps the FUTURE_DATE cases meaningful whatever day the suite runs.
const TODAY = new Date('2026-11-23T12:00:00Z');

// Independent reference implementations, written the textbook way (validate the full number rather
// than compute the digit) so that they do not share a bug with the code under test.
function referenceLuhnValid(numberWithCheck: string): boolean {
  let sum = 0;
  const digits = numberWithCheck.split('').reverse().map(Number);
  digits.forEach((d, i) => {
    if (i % 2 === 1) {
      const doubled = d * 2;
      sum += doubled > 9 ? doubled - 9 : doubled;
    } else {
      sum += d;
    }
  });
  return sum % 10 === 0;
}

const D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const P = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 7, 6, 8, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];

function referenceVerhoeffValid(numberWithCheck: string): boolean {
  let c = 0;
  numberWithCheck
    .split('')
    .reverse()
    .map(Number)
    .forEach((d, i) => {
      c = D[c][P[i % 8][d]];
    });
  return c === 0;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Birth dates YYYYMMDD from 1800 up to TODAY, with the `00` conventions mixed in. */
const birthDateArb: fc.Arbitrary<string> = fc
  .record({
    year: fc.integer({ min: 1800, max: 2025 }),
    month: fc.integer({ min: 1, max: 12 }),
    dayRatio: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    unknown: fc.constantFrom('none', 'none', 'none', 'day', 'month-and-day'),
  })
  .map(({ year, month, dayRatio, unknown }) => {
    if (unknown === 'month-and-day') return `${pad(year, 4)}0000`;
    if (unknown === 'day') return `${pad(year, 4)}${pad(month, 2)}00`;
    const day = 1 + Math.floor(dayRatio * daysIn(year, month));
    return `${pad(year, 4)}${pad(month, 2)}${pad(day, 2)}`;
  });

const serialArb = fc.integer({ min: 0, max: 999 });
const matriculeArb = fc.tuple(birthDateArb, serialArb).map(([d, s]) => makeMatricule(d, s, TODAY));

describe('check digits', () => {
  it('matches the published Verhoeff test vectors (a table typo once passed a reference copied from it)', () => {
    expect(verhoeffDigit('236')).toBe(3);
    expect(verhoeffDigit('12345')).toBe(1);
    expect(verhoeffDigit('142857')).toBe(0);
    expect(verhoeffDigit('19251118902')).toBe(4);
  });

  it('reproduces the published example 1893120105732', () => {
    expect(luhnDigit('18931201057')).toBe(3);
    expect(verhoeffDigit('18931201057')).toBe(2);
    expect(checkMatricule('1893120105732', TODAY)).toEqual({ valid: true, matricule: '1893120105732' });
  });

  it('computes a hand-worked Luhn digit', () => {
    // 19850315123 from the right, doubling every other digit starting with the rightmost:
    // 3→6, 2, 1→2, 5, 1→2, 3, 0→0, 5, 8→16→7, 9, 1→2; sum 43, so the digit is 7.
    expect(luhnDigit('19850315123')).toBe(7);
    expect(makeMatricule('19850315', 123, TODAY)).toBe('1985031512371');
  });

  it('matches the textbook Verhoeff example 236 → 3', () => {
    expect(verhoeffDigit('236')).toBe(3);
  });

  it('refuses payloads that are not ASCII digits', () => {
    expect(() => luhnDigit('')).toThrow(RangeError);
    expect(() => luhnDigit('12a')).toThrow(RangeError);
    expect(() => verhoeffDigit('１２３')).toThrow(RangeError);
  });

  it('agrees with the independent reference implementations', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 20 }), (p) => {
        expect(referenceLuhnValid(p + luhnDigit(p))).toBe(true);
        expect(referenceVerhoeffValid(p + verhoeffDigit(p))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('checkMatricule', () => {
  it.each([
    [123, 'NOT_A_STRING'],
    [null, 'NOT_A_STRING'],
    [undefined, 'NOT_A_STRING'],
    [1893120105732, 'NOT_A_STRING'],
    [['1893120105732'], 'NOT_A_STRING'],
    ['', 'BAD_LENGTH'],
    ['189312010573', 'BAD_LENGTH'],
    ['18931201057320', 'BAD_LENGTH'],
    [' 1893120105732', 'BAD_LENGTH'],
    ['18931201057 2', 'NOT_DIGITS'],
    ['1893120105７32', 'NOT_DIGITS'], // fullwidth seven
    ['１８９３１２０１０５７３２', 'NOT_DIGITS'], // all fullwidth
    ['1893120105٧32', 'NOT_DIGITS'], // Arabic-Indic seven
    ['+893120105732', 'NOT_DIGITS'],
    ['1985023012345', 'IMPOSSIBLE_DATE'], // 30 February
    ['1900022912345', 'IMPOSSIBLE_DATE'], // 1900 is not a leap year
    ['2023022912345', 'IMPOSSIBLE_DATE'],
    ['1985130112345', 'IMPOSSIBLE_DATE'], // month 13
    ['1985043112345', 'IMPOSSIBLE_DATE'], // 31 April
    ['1985001512345', 'IMPOSSIBLE_DATE'], // unknown month but known day
    ['1799123112345', 'IMPOSSIBLE_DATE'],
    ['0000000012345', 'IMPOSSIBLE_DATE'],
    ['2026112400000', 'FUTURE_DATE'], // tomorrow
    ['2026120000000', 'FUTURE_DATE'], // next month, day unknown
    ['2027000000000', 'FUTURE_DATE'], // next year, month and day unknown
    ['1985031512381', 'BAD_LUHN'], // 1985031512371 with the Luhn digit changed
    ['1985031512372', 'BAD_VERHOEFF'], // 1985031512371 with the Verhoeff digit changed
    ['1893120105712', 'BAD_LUHN'],
    ['1893120105733', 'BAD_VERHOEFF'],
  ])('%p → %s', (value, problem) => {
    expect(checkMatricule(value, TODAY)).toEqual({ valid: false, problem });
    expect(isValidMatricule(value, TODAY)).toBe(false);
  });

  it('reports the first failing check in the documented order', () => {
    // Impossible date and wrong check digits: the date is checked first.
    expect(checkMatricule('1985023000000', TODAY)).toEqual({ valid: false, problem: 'IMPOSSIBLE_DATE' });
    // Future date and wrong check digits: the date comes first.
    expect(checkMatricule('2099010100000', TODAY)).toEqual({ valid: false, problem: 'FUTURE_DATE' });
    // Both check digits wrong: Luhn is reported.
    expect(checkMatricule('1985031512300', TODAY)).toEqual({ valid: false, problem: 'BAD_LUHN' });
  });

  it.each([
    ['20000229', 0, '2000022900011'], // 2000 is a leap year
    ['19800000', 5, '1980000000517'], // unknown month and day
    ['19751200', 42, '1975120004278'], // unknown day
    ['18000101', 999, '1800010199914'],
  ])('accepts %s serial %d → %s', (date, serial, expected) => {
    expect(makeMatricule(date, serial, TODAY)).toBe(expected);
    expect(checkMatricule(expected, TODAY)).toEqual({ valid: true, matricule: expected });
  });

  it('treats today and an unknown part of the current month or year as not in the future', () => {
    expect(isValidMatricule(makeMatricule('20261123', 1, TODAY), TODAY)).toBe(true);
    expect(isValidMatricule(makeMatricule('20261100', 1, TODAY), TODAY)).toBe(true);
    expect(isValidMatricule(makeMatricule('20260000', 1, TODAY), TODAY)).toBe(true);
  });

  it('reads today in UTC', () => {
    // 23:30 in New York on 23 November is already 24 November in UTC.
    const lateEvening = new Date('2026-11-23T23:30:00-05:00');
    const bornOn24th = makeMatricule('20261124', 7, lateEvening);
    expect(isValidMatricule(bornOn24th, lateEvening)).toBe(true);
    expect(checkMatricule(bornOn24th, TODAY)).toEqual({ valid: false, problem: 'FUTURE_DATE' });
  });

  it('defaults today to the current clock', () => {
    expect(isValidMatricule('1893120105732')).toBe(true);
    expect(checkMatricule('9999010100000')).toEqual({ valid: false, problem: 'FUTURE_DATE' });
  });

  it('refuses an invalid "today"', () => {
    expect(() => checkMatricule('1893120105732', new Date('not a date'))).toThrow(RangeError);
  });
});

describe('makeMatricule', () => {
  it.each([
    ['1985-03-1', 1],
    ['198503151', 1],
    ['1985031', 1],
    ['19850230', 1],
    ['19850015', 1],
    ['17991231', 1],
    ['20261124', 1], // future relative to TODAY
    ['１９８５０３１５', 1],
    ['19850315', -1],
    ['19850315', 1000],
    ['19850315', 1.5],
    ['19850315', Number.NaN],
  ])('refuses %p with serial %p', (date, serial) => {
    expect(() => makeMatricule(date, serial, TODAY)).toThrow(RangeError);
  });

  it('only ever produces valid matricules', () => {
    fc.assert(
      fc.property(birthDateArb, serialArb, (date, serial) => {
        const m = makeMatricule(date, serial, TODAY);
        expect(m).toHaveLength(13);
        expect(m.slice(0, 8)).toBe(date);
        expect(Number(m.slice(8, 11))).toBe(serial);
        expect(checkMatricule(m, TODAY)).toEqual({ valid: true, matricule: m });
        expect(referenceLuhnValid(m.slice(0, 12))).toBe(true);
        expect(referenceVerhoeffValid(m.slice(0, 11) + m[12])).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('error detection', () => {
  it('rejects every single-digit substitution', () => {
    fc.assert(
      fc.property(
        matriculeArb,
        fc.integer({ min: 0, max: 12 }),
        fc.integer({ min: 1, max: 9 }),
        (m, position, shift) => {
          const changed = (Number(m[position]) + shift) % 10;
          const typo = m.slice(0, position) + changed + m.slice(position + 1);
          const result = checkMatricule(typo, TODAY);
          expect(result.valid).toBe(false);
          // Whatever else may trip first, the check digits alone would catch it.
          if (position === 11) expect(luhnDigit(typo.slice(0, 11))).not.toBe(Number(typo[11]));
          else expect(verhoeffDigit(typo.slice(0, 11))).not.toBe(Number(typo[12]));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('rejects every swap of two adjacent different digits among the first 11 (Luhn and Verhoeff together)', () => {
    fc.assert(
      fc.property(matriculeArb, fc.integer({ min: 0, max: 9 }), (m, i) => {
        fc.pre(m[i] !== m[i + 1]);
        const swapped = m.slice(0, i) + m[i + 1] + m[i] + m.slice(i + 2);
        // Verhoeff over a payload misses about 1% of adjacent swaps and Luhn misses 09<->90;
        // the two digits together catch every one
        expect(checkMatricule(swapped, TODAY).valid).toBe(false);
      }),
      { numRuns: 5000 },
    );
  });
});

describe('birthDateOfMatricule', () => {
  it('returns the encoded date, keeping 00 for unknown parts', () => {
    expect(birthDateOfMatricule('1893120105732')).toBe('1893-12-01');
    expect(birthDateOfMatricule('1980000000517')).toBe('1980-00-00');
    expect(birthDateOfMatricule('1975120004278')).toBe('1975-12-00');
  });

  it('works for any generated matricule', () => {
    fc.assert(
      fc.property(birthDateArb, serialArb, (date, serial) => {
        const iso = birthDateOfMatricule(makeMatricule(date, serial, TODAY));
        expect(iso.replace(/-/g, '')).toBe(date);
      }),
    );
  });

  it('refuses what is not a matricule', () => {
    expect(() => birthDateOfMatricule('1893120105733')).toThrow(RangeError);
    expect(() => birthDateOfMatricule('abc')).toThrow(RangeError);
    expect(() => birthDateOfMatricule(42 as unknown as string)).toThrow(RangeError);
  });
});
