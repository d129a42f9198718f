/**
 * How the RCS simulator checks the API key a caller presents. The key itself is loaded by
 * `loadRcsApiKey` (@broker/simulation), shared with `npm start`, which creates it before starting
 * the simulator and the gateway so that both read the same file.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export const API_KEY_HEADER = 'x-api-key';

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Compares in constant time, whatever the lengths (both sides are hashed to 32 bytes first). */
export function apiKeyMatches(expected: string, presented: string | string[] | undefined): boolean {
  if (typeof presented !== 'string') return false;
  return timingSafeEqual(digest(expected), digest(presented));
}
