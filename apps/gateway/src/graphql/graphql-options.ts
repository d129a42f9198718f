import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { ApolloDriverConfig } from '@nestjs/apollo';
import type { BrokerConfig } from '@broker/config';
import { tracingEnabled } from '@broker/telemetry';
import type { GatewayMetrics } from '../health/gateway-metrics';
import { makeFormatError } from './error-mapper';
import { buildContext } from './gateway-context';
import { REQUEST_LIMITS, requestLimitsPlugin } from './request-limits.plugin';
import { requestLogPlugin } from './request-log.plugin';
import { requestMetricsPlugin } from './request-metrics.plugin';
import { retryAfterPlugin } from './retry-after.plugin';
import { requestTracingPlugin } from './request-tracing';

/** Apollo options: schema from code, coded errors, limits; introspection and sandbox off in production. */
export function graphqlOptions(config: BrokerConfig, metrics: GatewayMetrics): ApolloDriverConfig {
  const production = config.mode === 'production';
  return {
    path: '/graphql',
    autoSchemaFile: true,
    sortSchema: true,
    playground: false,
    introspection: !production,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    parseOptions: { maxTokens: REQUEST_LIMITS.maxTokens },
    plugins: [
      ...(tracingEnabled() ? [requestTracingPlugin()] : []),
      requestMetricsPlugin(metrics),
      requestLimitsPlugin(),
      retryAfterPlugin(),
      requestLogPlugin(),
      ...(production ? [ApolloServerPluginLandingPageDisabled()] : []),
    ],
    formatError: makeFormatError(metrics),
    context: buildContext,
  };
}
