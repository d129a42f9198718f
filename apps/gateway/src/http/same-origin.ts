import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Methods that change something: only these need the Origin and CSRF checks. */
export function isUnsafeMethod(method: string): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase());
}

/**
 * The origin browsers use for this gateway: BROKER_PUBLIC_ORIGIN when set (behind a TLS proxy),
 * else the request's own scheme and Host (which a cross-site page cannot choose).
 */
export function ownOrigin(
  publicOrigin: string | undefined,
  protocol: string,
  host: string | undefined,
): string | null {
  if (publicOrigin) return publicOrigin;
  return host ? `${protocol}://${host.toLowerCase()}` : null;
}

/** Why an `Origin` header is not the gateway's own, or null when it is. Missing counts as foreign. */
export function originProblem(origin: string | string[] | undefined, own: string | null): string | null {
  if (origin === undefined) return 'no Origin header';
  if (typeof origin !== 'string' || own === null || origin.toLowerCase() !== own.toLowerCase())
    return 'Origin is not this site';
  return null;
}

/** A fresh one-time state (CSRF token): 32 random bytes, base64url. */
export function newState(): string {
  return randomBytes(32).toString('base64url');
}

/** Compares a presented token with the expected one in constant time (whatever their lengths). */
export function tokensEqual(given: unknown, expected: string | undefined): boolean {
  if (typeof given !== 'string' || given === '' || !expected) return false;
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}
