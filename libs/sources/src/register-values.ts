/** Value checks shared by the register answer parsers: what the broker accepts before disclosing. */

/** Register text is shown to people and stored in batch results: no control character, no lone surrogate. */
const UNSAFE_TEXT = /[\p{Cc}\p{Cs}]/u;
const MAX_TEXT = 500;
const DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;

/** Non-empty, bounded, printable text. */
export const isRegisterText = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= MAX_TEXT && !UNSAFE_TEXT.test(v);

/** A real calendar date YYYY-MM-DD (these registers, unlike the RNPP's birth dates, have no `00`). */
export function isCalendarDate(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const m = DATE.exec(v);
  if (m === null) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === v;
}

/** A person's list from a register is short; a long one is a register bug, not data. */
export const MAX_LIST_LENGTH = 100;
