import { ErrorCode } from '@broker/errors';
import type { NewAccessEntry } from './access-entry';

/** A consent as the access log names it: a jti is unique only within its issuer. */
export interface ConsentKey {
  issuer: string;
  jti: string;
}

/** The set key of a consent (issuer and jti together). */
export function consentKey(c: ConsentKey): string {
  return `${c.issuer}\u0000${c.jti}`;
}

/**
 * What the withdrawal read needs of the caller's open transaction: one parameterised query that
 * answers its rows. A TypeORM QueryRunner is one (the batch release); the appender's group
 * commit passes its node-postgres connection (@broker/database pgRunner).
 */
export interface TransactionQuery {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * Port: which of these consents are withdrawn, read inside the caller's open transaction `q`
 * (keys as `consentKey`). The consent ledger (libs/consent) implements it: the access log owns
 * no consent table, and is handed this check through Nest (WITHDRAWAL_CHECK).
 */
export interface WithdrawalCheck {
  withdrawnAmong(q: TransactionQuery, consents: readonly ConsentKey[]): Promise<Set<string>>;
}

export const WITHDRAWAL_CHECK = Symbol('WITHDRAWAL_CHECK');

/**
 * The entries to seal, a disclosure whose consent is withdrawn by now turned into a refusal
 * (CONSENT_REVOKED, nothing disclosed): one query for all of them, in the transaction that
 * writes them, so that a withdrawal committed while the register answered still refuses.
 */
export async function refuseWithdrawn(
  q: TransactionQuery,
  check: WithdrawalCheck,
  entries: readonly NewAccessEntry[],
): Promise<NewAccessEntry[]> {
  const refs = entries.flatMap((e) =>
    e.outcome === 'DISCLOSED' && e.consentIssuer !== null && e.consentJti !== null
      ? [{ issuer: e.consentIssuer, jti: e.consentJti }]
      : [],
  );
  if (refs.length === 0) return [...entries];
  const withdrawn = await check.withdrawnAmong(q, refs);
  if (withdrawn.size === 0) return [...entries];
  return entries.map((e) =>
    e.outcome === 'DISCLOSED' &&
    e.consentIssuer !== null &&
    e.consentJti !== null &&
    withdrawn.has(consentKey({ issuer: e.consentIssuer, jti: e.consentJti }))
      ? { ...e, outcome: 'REFUSED', itemsDisclosed: [], reasonCode: ErrorCode.CONSENT_REVOKED }
      : e,
  );
}
