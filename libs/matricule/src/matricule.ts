/**
 * Luxembourg national identification number ("matricule"): 13 digits, YYYYMMDD + a 3-digit serial
 * + a Luhn check digit + a Verhoeff check digit, both computed over the first 11 digits.
 * An unknown birth month or day is written `00` (règlement grand-ducal du 28 novembre 2013).
 */

export type MatriculeProblem =
  | 'NOT_A_STRING'
  | 'BAD_LENGTH'
  | 'NOT_DIGITS'
  | 'IMPOSSIBLE_DATE'
  | 'FUTURE_DATE'
  | 'BAD_LUHN'
  | 'BAD_VERHOEFF';

export type MatriculeCheck = { valid: true; matricule: string } | { valid: false; problem: MatriculeProblem };

const MATRICULE_LENGTH = 13;
const PAYLOAD_LENGTH = 11;
const MIN_YEAR = 1800;
// \d would also be ASCII-only without the u flag, but spelling the range out removes any doubt.
const ASCII_DIGITS = /^[0-9]+$/;

// Verhoeff's dihedral group D5 multiplication table, permutation table and inverses.
const VERHOEFF_D: readonly (readonly number[])[] = [
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
const VERHOEFF_P: readonly (readonly number[])[] = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
  [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
  [9, 4, 5, 3, 1, 2, 7, 6, 8, 0],
  [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
  [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];
const VERHOEFF_INV: readonly number[] = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

function assertDigits(payload: string, fn: string): void {
  if (typeof payload !== 'string' || payload.length === 0 || !ASCII_DIGITS.test(payload)) {
    throw new RangeError(`${fn}: payload must be a non-empty string of ASCII digits`);
  }
}

/** The Luhn (mod 10) check digit to append to `payload`, a string of ASCII digits. */
export function luhnDigit(payload: string): number {
  assertDigits(payload, 'luhnDigit');
  let sum = 0;
  // Walking from the right: the rightmost payload digit sits next to the appended check digit,
  // so it is the first one to be doubled.
  for (let i = payload.length - 1, double = true; i >= 0; i--, double = !double) {
    let digit = payload.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

/** The Verhoeff check digit to append to `payload`, a string of ASCII digits. */
export function verhoeffDigit(payload: string): number {
  assertDigits(payload, 'verhoeffDigit');
  let c = 0;
  for (let i = payload.length - 1, pos = 1; i >= 0; i--, pos++) {
    c = VERHOEFF_D[c][VERHOEFF_P[pos % 8][payload.charCodeAt(i) - 48]];
  }
  return VERHOEFF_INV[c];
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** Whether eight ASCII digits YYYYMMDD name a possible birth date, with the `00` conventions. */
function isPossibleBirthDate(yyyymmdd: string): boolean {
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6));
  const day = Number(yyyymmdd.slice(6, 8));
  if (year < MIN_YEAR || month > 12) return false;
  if (month === 0) return day === 0;
  return day <= daysInMonth(year, month);
}

function utcDayKey(today: Date): number {
  const time = today.getTime();
  if (Number.isNaN(time)) throw new RangeError('today must be a valid Date');
  return today.getUTCFullYear() * 10000 + (today.getUTCMonth() + 1) * 100 + today.getUTCDate();
}

/**
 * An unknown month or day may hide any value, so a date is only "in the future" when even its
 * earliest reading (1 January, or the 1st of the month) comes after today.
 */
function isFutureBirthDate(yyyymmdd: string, todayKey: number): boolean {
  const year = Number(yyyymmdd.slice(0, 4));
  const month = Number(yyyymmdd.slice(4, 6)) || 1;
  const day = Number(yyyymmdd.slice(6, 8)) || 1;
  return year * 10000 + month * 100 + day > todayKey;
}

function diagnose(value: unknown, todayKey: number | null): MatriculeProblem | null {
  if (typeof value !== 'string') return 'NOT_A_STRING';
  if (value.length !== MATRICULE_LENGTH) return 'BAD_LENGTH';
  if (!ASCII_DIGITS.test(value)) return 'NOT_DIGITS';
  const date = value.slice(0, 8);
  if (!isPossibleBirthDate(date)) return 'IMPOSSIBLE_DATE';
  if (todayKey !== null && isFutureBirthDate(date, todayKey)) return 'FUTURE_DATE';
  const payload = value.slice(0, PAYLOAD_LENGTH);
  if (luhnDigit(payload) !== value.charCodeAt(11) - 48) return 'BAD_LUHN';
  if (verhoeffDigit(payload) !== value.charCodeAt(12) - 48) return 'BAD_VERHOEFF';
  return null;
}

/** Checks a candidate matricule (type, length, digits, date, Luhn, Verhoeff, in that order). */
export function checkMatricule(value: unknown, today: Date = new Date()): MatriculeCheck {
  const problem = diagnose(value, utcDayKey(today));
  return problem === null ? { valid: true, matricule: value as string } : { valid: false, problem };
}

/** True when `value` is a valid matricule as of `today` (UTC). */
export function isValidMatricule(value: unknown, today: Date = new Date()): value is string {
  return diagnose(value, utcDayKey(today)) === null;
}

/** Builds the matricule for a birth date YYYYMMDD (`00` for unknown month/day) and a serial 0..999. */
export function makeMatricule(birthDate: string, serial: number, today: Date = new Date()): string {
  if (typeof birthDate !== 'string' || birthDate.length !== 8 || !ASCII_DIGITS.test(birthDate)) {
    throw new RangeError('makeMatricule: birthDate must be 8 ASCII digits YYYYMMDD');
  }
  if (!isPossibleBirthDate(birthDate)) {
    throw new RangeError('makeMatricule: impossible birth date');
  }
  // A matricule that checkMatricule would reject is worse than no matricule at all.
  if (isFutureBirthDate(birthDate, utcDayKey(today))) {
    throw new RangeError('makeMatricule: birth date is in the future');
  }
  if (!Number.isInteger(serial) || serial < 0 || serial > 999) {
    throw new RangeError('makeMatricule: serial must be an integer in 0..999');
  }
  const payload = birthDate + String(serial).padStart(3, '0');
  return `${payload}${luhnDigit(payload)}${verhoeffDigit(payload)}`;
}

/** The birth date encoded in a matricule, as YYYY-MM-DD with `00` kept for unknown parts. */
export function birthDateOfMatricule(m: string): string {
  // The future check is left out on purpose: the date a matricule encodes does not depend on the clock.
  const problem = diagnose(m, null);
  if (problem !== null) throw new RangeError(`birthDateOfMatricule: not a matricule (${problem})`);
  return `${m.slice(0, 4)}-${m.slice(4, 6)}-${m.slice(6, 8)}`;
}
