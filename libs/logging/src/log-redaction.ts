/**
 * Defence in depth for the application log: whatever a caller interpolates by mistake, a
 * matricule (13 digits) or a token (a JWS/JWT, a bearer credential) never reaches a log line.
 * The callers are meant not to log them at all; this catches what they miss.
 */

/** A compact JWS/JWE/JWT: base64url JSON header (always `eyJ`, `{"`), then dot-separated parts. */
const JWT = /\beyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){1,4}/g;
/**
 * A credential after its HTTP scheme, whatever its shape (an opaque API key included); 16
 * characters at least, so that prose ("non-Bearer Authorization header") stays readable.
 */
const CREDENTIAL = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{16,}/gi;
/** A run of exactly 13 digits: the shape of a matricule, checksum or not. */
const MATRICULE = /(?<!\d)\d{13}(?!\d)/g;

/** Keys whose values are credentials or a request's inputs: dropped whatever they hold. */
const SECRET_KEYS = new Set([
  'authorization',
  'consent-token',
  'consenttoken',
  'cookie',
  'set-cookie',
  'token',
  'idtoken',
  'variables',
  'body',
  'x-api-key',
  'password',
]);

const MAX_DEPTH = 6;

/** The text with every matricule-shaped run and every token-shaped string masked. */
export function redactText(text: string): string {
  return text.replace(JWT, '[token]').replace(CREDENTIAL, '$1 [token]').replace(MATRICULE, '[matricule]');
}

/**
 * A copy of a log record's fields with strings masked (redactText), credential and input
 * keys replaced by "[redacted]" and errors flattened to type, message and stack (masked too).
 */
export function redactFields(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[truncated]';
  if (value instanceof Error) {
    return {
      type: value.name,
      message: redactText(value.message),
      ...(value.stack ? { stack: redactText(value.stack) } : {}),
      ...('code' in value && typeof value.code === 'string' ? { code: value.code } : {}),
    };
  }
  if (Array.isArray(value)) return value.map((v) => redactFields(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = SECRET_KEYS.has(key.toLowerCase()) ? '[redacted]' : redactFields(v, depth + 1);
  }
  return out;
}
