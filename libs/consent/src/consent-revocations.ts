import type { ConsentKey, WithdrawalCheck } from '@broker/access-log';

/**
 * Port: which consents were withdrawn (by the citizen or by their issuer), keyed by issuer and
 * jti (`consentKey`): a jti is unique only within its issuer, so one issuer's withdrawal never
 * touches another issuer's consent. The synchronous path checks it through
 * ConsentVerifierService and again in the log append's transaction (WithdrawalCheck); the
 * asynchronous path asks it before the source is read and again in the release's transaction.
 */
export interface ConsentRevocations extends WithdrawalCheck {
  /** The `consentKey`s of the withdrawn consents among `consents` (empty set when none). */
  revokedAmong(consents: readonly ConsentKey[]): Promise<Set<string>>;
}

export const CONSENT_REVOCATIONS = Symbol('CONSENT_REVOCATIONS');
