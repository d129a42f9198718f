import type { ApolloServerPlugin, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { Logger } from '@nestjs/common';
import type { GatewayContext } from './gateway-context';
import { answerErrors, errorCodes, OK_CODE, rootFieldNames } from './request-outcome';

const logger = new Logger('GraphQLRequests');

/** What one completed GraphQL request leaves in the application log (docs/operations.md, "Logs"). */
export interface RequestLogLine {
  msg: 'graphql request';
  correlationId: string;
  /** The administration that asked (a member id of the trust file), when it was authenticated. */
  member?: string;
  /** A citizen asked (their identity is never logged: it is a matricule). */
  citizen?: true;
  /** `query person`, `mutation submitPersonBatch`: the operation type and its root fields. */
  operation: string;
  /** "OK", or the first error code of the answer. */
  code: string;
  /** Every distinct error code, when there were several. */
  codes?: string[];
  durationMs: number;
}

/** `query person`: the operation type and its root fields; never the variables, nor the client's operation name. */
function operationOf(rc: GraphQLRequestContextWillSendResponse<GatewayContext>): string {
  const op = rc.operation;
  if (!op) return 'unparsed';
  return `${op.operation} ${rootFieldNames(op).join(',')}`.slice(0, 120);
}

/**
 * One log line per GraphQL request, written when its answer leaves: who asked, for which
 * correlation id, what, with which outcome and how long it took. The access log (libs/access-log)
 * remains the record of disclosures; this line is for operators.
 */
export function requestLogPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    requestDidStart() {
      const started = performance.now();
      return Promise.resolve({
        willSendResponse(rc) {
          const codes = errorCodes(answerErrors(rc.response));
          const ctx = rc.contextValue;
          const line: RequestLogLine = {
            msg: 'graphql request',
            correlationId: ctx.correlationId,
            ...(ctx.member ? { member: ctx.member.id } : {}),
            ...(ctx.citizen ? { citizen: true as const } : {}),
            operation: operationOf(rc),
            code: codes[0] ?? OK_CODE,
            ...(codes.length > 1 ? { codes } : {}),
            durationMs: Math.round(performance.now() - started),
          };
          logger.log(line);
          return Promise.resolve();
        },
      });
    },
  };
}
