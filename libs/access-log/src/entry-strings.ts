import { isDataItem } from '@broker/data-items';
import { BrokerError, ErrorCode } from '@broker/errors';
import type { NewAccessEntry } from './access-entry';

/**
 * What a string must be to enter the access log (documented in docs/access-log.md).
 *
 * An entry is hashed over its canonical JSON in UTF-8 and stored as PostgreSQL text, so every
 * string must survive both unchanged: PostgreSQL refuses NUL (and one refused row fails the whole
 * group-commit batch it sits in), and a lone UTF-16 surrogate, which a JavaScript string can hold,
 * has no UTF-8 form (the driver would store U+FFFD and the stored entry would no longer match its
 * hash). Identifiers are kept to a small ASCII alphabet that is also safe in CSV, in log lines and
 * in a terminal. The entry points (consent verification, the correlation-id hook, batch
 * submission, the staff authenticator) refuse such values with their own codes; the appender
 * checks every entry again before it joins a batch.
 */

/** Longest identifier (member id, consent issuer and jti, purpose, correlation id, job id, source). */
export const MAX_IDENTIFIER_LENGTH = 256;
/** Longest free text (an auditor's filter, as canonical JSON). */
export const MAX_TEXT_LENGTH = 4096;

const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._:@/+=-]*$/;
/** A C0 or C1 control character, DEL included (Unicode category Cc). */
const CONTROL = /\p{Cc}/u;
/** With the `u` flag a well-formed pair reads as one astral code point: only a lone surrogate is Cs. */
const LONE_SURROGATE = /\p{Cs}/u;
const MATRICULE = /^[0-9]{13}$/;
const CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

/**
 * True when `v` is an identifier the log accepts: 1 to `maxLength` characters of ASCII letters,
 * digits and `. _ : @ / + = -`, starting with a letter or a digit. Such a string has no control
 * character and no surrogate by construction.
 */
export function isLogIdentifier(v: unknown, maxLength = MAX_IDENTIFIER_LENGTH): v is string {
  return typeof v === 'string' && v.length <= maxLength && IDENTIFIER.test(v);
}

/** True when `v` is free text the log accepts: at most `maxLength` UTF-16 units, well-formed Unicode, no control character. */
export function isLogText(v: unknown, maxLength = MAX_TEXT_LENGTH): v is string {
  return typeof v === 'string' && v.length <= maxLength && !CONTROL.test(v) && !LONE_SURROGATE.test(v);
}

/** `v` when it is an acceptable identifier, else null: for naming a refused request without its bad value. */
export function logIdentifierOrNull(v: unknown): string | null {
  return isLogIdentifier(v) ? v : null;
}

const nullable =
  (check: (v: unknown) => boolean) =>
  (v: unknown): boolean =>
    v === null || v === undefined || check(v);

const FIELD_RULES: { [K in keyof Required<NewAccessEntry>]: (v: unknown) => boolean } = {
  occurredAt: (v) =>
    v instanceof Date &&
    Number.isFinite(v.getTime()) &&
    v.getUTCFullYear() >= 1970 &&
    v.getUTCFullYear() <= 9999,
  channel: (v) => v === 'sync' || v === 'async' || v === 'self' || v === 'audit',
  memberId: (v) => isLogIdentifier(v),
  purpose: nullable(isLogIdentifier),
  consentIssuer: nullable(isLogIdentifier),
  consentJti: nullable(isLogIdentifier),
  subject: nullable((v) => typeof v === 'string' && MATRICULE.test(v)),
  itemsRequested: (v) => Array.isArray(v) && v.every(isDataItem),
  itemsDisclosed: (v) => Array.isArray(v) && v.every(isDataItem),
  outcome: (v) => v === 'DISCLOSED' || v === 'REFUSED',
  reasonCode: nullable((v) => typeof v === 'string' && CODES.has(v)),
  source: nullable(isLogIdentifier),
  correlationId: (v) => isLogIdentifier(v),
  jobId: nullable(isLogIdentifier),
  auditFilter: nullable(isLogText),
  itemSources: nullable((v) => Array.isArray(v) && v.every(isItemSource)),
  itemsFailed: nullable((v) => Array.isArray(v) && v.every(isDataItem)),
  // drawn by the appender; a caller's own must look the same (16+ bytes, base64url)
  salt: nullable((v) => typeof v === 'string' && /^[A-Za-z0-9_-]{22,128}$/.test(v)),
};

/** `item:source`, the item a data item of the catalogue. */
function isItemSource(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  const at = v.indexOf(':');
  return at > 0 && isDataItem(v.slice(0, at)) && isLogIdentifier(v.slice(at + 1), 64);
}
const FIELDS = Object.keys(FIELD_RULES) as (keyof NewAccessEntry)[];

/** The first field of `e` that the log cannot record as it is, or null when every field is acceptable. */
export function entryProblem(e: NewAccessEntry): keyof NewAccessEntry | null {
  for (const f of FIELDS) if (!FIELD_RULES[f](e[f])) return f;
  return null;
}

/**
 * An entry the appender refused before it joined a batch: a value that should have been refused
 * where it entered the broker. Names the field, never the value.
 */
export class AccessEntryRejected extends BrokerError {
  constructor(readonly field: keyof NewAccessEntry) {
    super(ErrorCode.INTERNAL_ERROR, 'The request carries a value that the access log cannot record.', {
      field,
    });
  }
}
