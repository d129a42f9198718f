import { hash } from 'node:crypto';
import type { VerificationKey } from '@broker/trust';

/** A verified token's result, and what it was verified with. */
export interface CachedToken<T> {
  value: T;
  /** The token's `exp` (epoch seconds): the entry is served only while now < exp. */
  exp: number;
  /** The key in force that verified the signature; the entry is served only while it still is. */
  key: VerificationKey;
  /** Who to ask for that key: the issuer and kid the token named. */
  issuer: string;
  kid: string;
}

/**
 * A bounded least-recently-used cache of verified tokens, keyed by the SHA-256 digest of the
 * compact JWS (so an entry weighs the same whatever the token's size, and holds no token).
 *
 * An entry is served only while both hold:
 * - now < the token's `exp` (no clock tolerance: from `exp` on, the token is verified afresh,
 *   which accepts it inside the tolerance or refuses it as expired, exactly as without a cache);
 * - the key that verified it is still the one the trust registry gives for the token's issuer
 *   and kid (`keyInForce`): a trust file loaded again builds new key objects, so every entry
 *   verified under the old one misses, and a removed issuer or kid misses too.
 *
 * Only what verified goes in: a refusal is never cached. Nothing here decides a withdrawal: the
 * caller still reads the withdrawals on every use.
 */
export class VerifiedTokenCache<T> {
  private readonly entries = new Map<string, CachedToken<T>>();

  constructor(
    /** Most entries held; the least recently used goes first. */
    readonly limit: number,
    /** The key the trust registry holds now for this issuer and kid (undefined: none). */
    private readonly keyInForce: (issuer: string, kid: string) => VerificationKey | undefined,
  ) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`cache limit must be a positive integer, got ${limit}`);
  }

  /** The cache key of a compact token. */
  static digest(token: string): string {
    // the one-shot hash: no Hash object per call (Node 20.12+)
    return hash('sha256', token, 'base64url');
  }

  get size(): number {
    return this.entries.size;
  }

  /** The result cached for the token of this digest, if still valid at `nowS` (epoch seconds). */
  get(digest: string, nowS: number): T | undefined {
    const e = this.entries.get(digest);
    if (!e) return undefined;
    if (e.exp <= nowS || this.keyInForce(e.issuer, e.kid) !== e.key) {
      this.entries.delete(digest);
      return undefined;
    }
    // most recently used last (a Map keeps insertion order)
    this.entries.delete(digest);
    this.entries.set(digest, e);
    return e.value;
  }

  /** Caches a verified result until `exp`; one already expired at `nowS` is not kept. */
  set(digest: string, entry: CachedToken<T>, nowS: number): void {
    if (entry.exp <= nowS) return;
    this.entries.delete(digest);
    // full: the least recently used goes (O(1); an expired entry is dropped when next asked for, or ages out)
    if (this.entries.size >= this.limit) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(digest, entry);
  }

  /** Drops every entry (a trust file loaded again, a test). */
  clear(): void {
    this.entries.clear();
  }
}
