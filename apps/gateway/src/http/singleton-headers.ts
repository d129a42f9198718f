/**
 * Headers that must appear at most once. Node's parser keeps the first of some repeats
 * (Authorization, Host, Content-Type) and joins others with ", " (Consent-Token,
 * X-Correlation-Id); a proxy in front may keep the last. Refusing the request is the only answer
 * on which both always agree.
 */
export const SINGLETON_HEADERS: readonly string[] = [
  'authorization',
  'consent-token',
  'content-type',
  'content-length',
  'host',
  'x-correlation-id',
];

/** The first singleton header that `rawHeaders` (Node's [name, value, ...] list) repeats, or null. */
export function repeatedSingletonHeader(rawHeaders: readonly string[]): string | null {
  const seen = new Set<string>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    if (!SINGLETON_HEADERS.includes(name)) continue;
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return null;
}
