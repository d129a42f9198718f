import { performance } from 'node:perf_hooks';
import type { ApolloServerPlugin, GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { Kind, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { GatewayMetrics } from '../health/gateway-metrics';

/** The `operation` label of a request whose top-level field is not one of the schema's (or not known). */
export const OTHER_OPERATION = 'other';
/** The `code` label of a request answered without an error. */
export const OK_CODE = 'OK';

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

/**
 * The `code` label: "OK", or the code of the answer's first error. The errors are already mapped
 * (error-mapper.ts: catalogue and Apollo codes only), the shape check keeps it so whatever comes.
 */
export function codeLabel(errors: readonly { extensions?: Record<string, unknown> }[] | undefined): string {
  if (!errors?.length) return OK_CODE;
  const code = errors[0].extensions?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : 'INTERNAL_ERROR';
}

/** Observes each GraphQL request's duration (from receipt to the answer) in broker_request_duration_seconds. */
export function requestMetricsPlugin(metrics: GatewayMetrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse(ctx: GraphQLRequestContextWillSendResponse<object>) {
          const body = ctx.response.body;
          const errors = body.kind === 'single' ? body.singleResult.errors : undefined;
          metrics.observeRequest(
            operationLabel(ctx.schema, ctx.operation),
            codeLabel(errors),
            (performance.now() - started) / 1000,
          );
        },
      };
    },
  };
}
