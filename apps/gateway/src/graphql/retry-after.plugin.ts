import type { ApolloServerPlugin } from '@apollo/server';
import { BrokerError, ErrorCode } from '@broker/errors';

/**
 * Sets the HTTP `Retry-After` header (whole seconds, RFC 9110) when a request is refused with
 * RATE_LIMITED: the refusal's own `retryAfterSeconds` (from the quota's window), the longest if
 * several. The status stays the GraphQL path's own (200 for a refusal after authentication).
 */
export function retryAfterPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, response }) {
          let seconds = 0;
          for (const e of errors) {
            const original = e.originalError;
            if (original instanceof BrokerError && original.code === ErrorCode.RATE_LIMITED)
              seconds = Math.max(seconds, Number(original.details?.retryAfterSeconds) || 1);
          }
          if (seconds > 0) response.http.headers.set('retry-after', String(seconds));
        },
      };
    },
  };
}
