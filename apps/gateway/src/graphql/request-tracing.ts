import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { GqlExecutionContext, type GqlContextType } from '@nestjs/graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { OperationDefinitionNode } from 'graphql';
import type { Observable } from 'rxjs';
import { SPAN_ATTR, openSpan, withinSpan, type OpenSpan } from '@broker/telemetry';
import type { GatewayContext } from './gateway-context';
import { outcomeCode, rootFieldNames } from './request-outcome';

/** Each GraphQL request's span, by its context (kept off GatewayContext: transport facts only). */
const requestSpans = new WeakMap<object, OpenSpan>();

/**
 * The schema's root fields the operation selects (`person`, `submitPersonBatch`): they name what
 * was asked. The client's own operation name is not recorded: it is free text, the client's to
 * choose, and could carry anything.
 */
export function rootFields(op: OperationDefinitionNode): string {
  return rootFieldNames(op).sort().join(',') || 'none';
}

/**
 * The root span of a GraphQL request: opened when Apollo starts the request, ended with the answer's outcome code (the first
 * error's extensions.code, OK otherwise), the member who asked and the correlation id. Nothing
 * happens when tracing is off.
 */
export function requestTracingPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart({ contextValue }) {
      // a new trace, whatever traceparent the member sends: the gateway is the trust boundary, and
      // a caller's sampled flag must not decide whether the broker traces its requests
      const span = openSpan('graphql', { [SPAN_ATTR.correlationId]: contextValue.correlationId }, {});
      if (!span) return;
      requestSpans.set(contextValue, span);
      return {
        async didResolveOperation({ operation }) {
          if (!operation) return;
          const fields = rootFields(operation);
          span.rename(`graphql ${operation.operation} ${fields}`);
          span.set({ [SPAN_ATTR.operationType]: operation.operation, [SPAN_ATTR.operation]: fields });
        },
        async willSendResponse({ response, contextValue: ctx }) {
          if (ctx.member) span.set({ [SPAN_ATTR.memberId]: ctx.member.id });
          span.end(outcomeCode(response));
        },
      };
    },
  };
}

/**
 * Runs each GraphQL resolver with its request's span active, so that the register calls and the
 * log append it makes are that span's children. (Apollo's plugin hooks cannot wrap execution;
 * Nest binds the handler to the async context in which `next.handle()` is called.)
 */
@Injectable()
export class RequestTracingInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType<GqlContextType>() !== 'graphql') return next.handle();
    const span = requestSpans.get(GqlExecutionContext.create(context).getContext<GatewayContext>());
    return withinSpan(span, () => next.handle());
  }
}
