import { ERROR_CATALOGUE, ErrorCode } from './error-code';

/** A coded refusal or failure; the gateway maps it to a GraphQL error in one place. */
export class BrokerError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = ERROR_CATALOGUE[code].meaning,
    /** Safe, non-personal details for the caller (never a matricule or a token). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'BrokerError';
  }
}

/** True when `e` is a BrokerError with one of `codes` (or any code when none given). */
export function isBrokerError(e: unknown, ...codes: ErrorCode[]): e is BrokerError {
  return e instanceof BrokerError && (codes.length === 0 || codes.includes(e.code));
}
