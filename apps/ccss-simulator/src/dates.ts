/** Calendar days since 1970-01-01 (UTC), and back: the derivations below work on whole days. */
const MS_PER_DAY = 86_400_000;
export const DAYS_PER_YEAR = 365.25;

/** A register date as a day number; `00` for an unknown month or day counts as `01`. */
export function dayOf(date: string): number {
  const [y, m, d] = date.split('-').map(Number);
  return Date.UTC(y, Math.max(m, 1) - 1, Math.max(d, 1)) / MS_PER_DAY;
}

export function dateOf(day: number): string {
  return new Date(Math.floor(day) * MS_PER_DAY).toISOString().slice(0, 10);
}
