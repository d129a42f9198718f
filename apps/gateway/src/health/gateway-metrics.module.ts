import { Global, Module } from '@nestjs/common';
import { GatewayMetrics } from './gateway-metrics';

/** GatewayMetrics for every module of the gateway (the GraphQL options' factory among them). */
@Global()
@Module({ providers: [GatewayMetrics], exports: [GatewayMetrics] })
export class GatewayMetricsModule {}
