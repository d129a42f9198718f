/**
 * Port: which consents were withdrawn (by the citizen or by their issuer). The synchronous
 * path checks it through ConsentVerifierService; the asynchronous path asks it again when a
 * job's data is released, since a consent can be withdrawn between submission and release.
 */
export interface ConsentRevocations {
  /** The jtis among `jtis` that are revoked (empty set when none). */
  revokedAmong(jtis: readonly string[]): Promise<Set<string>>;
}

export const CONSENT_REVOCATIONS = Symbol('CONSENT_REVOCATIONS');
