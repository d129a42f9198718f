import { Logger } from '@nestjs/common';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { APOLLO_CODES, BrokerError, ERROR_CATALOGUE, ErrorCode } from '@broker/errors';
import type { GatewayMetrics } from '../health/gateway-metrics';

const logger = new Logger('GraphQLErrors');
const PASS_THROUGH = new Set<string>([...APOLLO_CODES, ...Object.values(ErrorCode)]);

/**
 * The one place where errors become GraphQL errors: a BrokerError keeps its code, message and
 * safe details; Apollo's own request errors keep their code; anything else becomes
 * INTERNAL_ERROR with a generic message (the cause goes to the application log only).
 * Stack traces never leave.
 */
export function makeFormatError(metrics: GatewayMetrics) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof BrokerError) {
      metrics.countError(original.code);
      return {
        message: original.message,
        path: formatted.path,
        locations: formatted.locations,
        extensions: {
          code: original.code,
          retryable: ERROR_CATALOGUE[original.code].retryable,
          ...(original.details ?? {}),
        },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PASS_THROUGH.has(code)) {
      metrics.countError(code);
      return {
        message: formatted.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code },
      };
    }
    logger.error(
      `unexpected error: ${original instanceof Error ? (original.stack ?? original.message) : String(original)}`,
    );
    metrics.countError(ErrorCode.INTERNAL_ERROR);
    return {
      message: ERROR_CATALOGUE[ErrorCode.INTERNAL_ERROR].meaning,
      path: formatted.path,
      extensions: { code: ErrorCode.INTERNAL_ERROR },
    };
  };
}
