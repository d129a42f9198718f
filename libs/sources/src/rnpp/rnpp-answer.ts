import { checkMatricule } from '@broker/matricule';
import type { RnppField } from './rnpp-person';

/** YYYY-MM-DD; `00` stands for an unknown month or day (birth dates, as in the matricule). */
const DATE = /^[0-9]{4}-(0[0-9]|1[0-2])-([0-2][0-9]|3[01])$/;
const COUNTRY = /^[A-Z]{2}$/;
/** Register text is shown to people and stored in batch results: no control character, no lone surrogate. */
const UNSAFE_TEXT = /[\p{Cc}\p{Cs}]/u;
const MAX_TEXT = 500;

const isText = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= MAX_TEXT && !UNSAFE_TEXT.test(v);
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const oneOf =
  (...values: string[]) =>
  (v: unknown): boolean =>
    typeof v === 'string' && values.includes(v);
const orNull =
  (check: (v: unknown) => boolean) =>
  (v: unknown): boolean =>
    v === null || check(v);
const arrayOf =
  (check: (v: unknown) => boolean) =>
  (v: unknown): boolean =>
    Array.isArray(v) && v.length <= 100 && v.every(check);
const withTexts =
  (...keys: string[]) =>
  (v: unknown): boolean =>
    isObject(v) && keys.every((k) => isText(v[k]));
const isMatricule = (v: unknown): boolean => checkMatricule(v).valid;

/** The shape of each register field (contracts/rnpp-openapi.yaml, RnppPerson). */
const FIELD_SHAPES: Record<RnppField, (v: unknown) => boolean> = {
  surname: isText,
  givenNames: arrayOf(isText),
  birthDate: (v) => typeof v === 'string' && DATE.test(v),
  birthPlace: withTexts('locality', 'country'),
  sex: oneOf('F', 'M'),
  nationalities: (v) => arrayOf((c) => typeof c === 'string' && COUNTRY.test(c))(v) && (v as []).length > 0,
  address: orNull(withTexts('street', 'houseNumber', 'postalCode', 'locality', 'commune', 'country')),
  civilStatus: oneOf('SINGLE', 'MARRIED', 'PARTNERSHIP', 'DIVORCED', 'WIDOWED'),
  refugeeStatus: oneOf('NONE', 'REFUGEE', 'SUBSIDIARY_PROTECTION'),
  parents: arrayOf(isMatricule),
  children: arrayOf(isMatricule),
  deathDate: orNull((v) => typeof v === 'string' && DATE.test(v)),
  deathPlace: orNull(isText),
  nobleTitle: orNull(isText),
};

/**
 * Why a register answer cannot be used for the person `matricule` and the `fields` asked, or null
 * when it can: not an object, another person's record (`matricule`), or a field asked for that is
 * missing or not of its shape (the field's name). Never names a value. Fields not asked for are
 * not checked: they are dropped before anything leaves.
 */
export function rnppAnswerProblem(
  record: unknown,
  matricule: string,
  fields: readonly RnppField[],
): 'not-an-object' | 'matricule' | RnppField | null {
  if (!isObject(record)) return 'not-an-object';
  if (record.matricule !== matricule) return 'matricule';
  for (const f of fields) if (!(f in record) || !FIELD_SHAPES[f](record[f])) return f;
  return null;
}
