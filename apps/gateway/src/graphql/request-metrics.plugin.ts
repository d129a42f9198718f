import { performance } from 'node:perf_hooks';
import type { ApolloServerPlugin, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { Kind, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { GatewayMetrics } from '../health/gateway-metrics';
import { errorCodes, OK_CODE, outcomeCode } from './request-outcome';

/** The `operation` label of a request whose top-level field is not one of the schema's (or not known). */
export const OTHER_OPERATION = 'other';
/**
 * The `operation` label: the name of the operation's first top-level field when the schema's root
 * type has it (`person`, `myData`, `submitBatch`...), else "other". Bounded by the schema, so a
 * client cannot mint series (an alias, a misspelt or introspection field, a fragment at the root).
 */
export function operationLabel(schema: GraphQLSchema, op: OperationDefinitionNode | undefined): string {
  if (!op) return OTHER_OPERATION;
  const first = op.selectionSet.selections[0];
  if (first?.kind !== Kind.FIELD) return OTHER_OPERATION;
  const name = first.name.value;
  const root = schema.getRootType(op.operation);
  return root && Object.hasOwn(root.getFields(), name) ? name : OTHER_OPERATION;
}

/** The `code` label: "OK", or the code of the answer's first error (request-outcome.ts). */
export function codeLabel(errors: readonly { extensions?: Record<string, unknown> }[] | undefined): string {
  return errorCodes(errors)[0] ?? OK_CODE;
}

/** Observes each GraphQL request's duration (from receipt to the answer) in broker_request_duration_seconds. */
export function requestMetricsPlugin(metrics: GatewayMetrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse(ctx: GraphQLRequestContextWillSendResponse<object>) {
          metrics.observeRequest(
            operationLabel(ctx.schema, ctx.operation),
            outcomeCode(ctx.response),
            (performance.now() - started) / 1000,
          );
        },
      };
    },
  };
}
