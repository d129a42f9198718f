import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { BROKER_CONFIG, BrokerConfigModule, type BrokerConfig } from '@broker/config';
import { DatabaseModule } from '@broker/database';
import { AuditModule } from '@broker/audit';
import { BatchModule } from '@broker/batch';
import { CitizenModule } from '@broker/citizen';
import { DisclosureModule } from '@broker/disclosure';
import { LogTreeModule } from '@broker/log-tree';
import { MetricsModule } from '@broker/metrics';
import { TelemetryModule, tracingEnabled } from '@broker/telemetry';
import { TrustModule } from '@broker/trust';
import { AuditController } from './audit/audit.controller';
import { AccessReportsController } from './citizen/access-reports.controller';
import { CitizenAuthGuard } from './citizen/citizen-auth.guard';
import { CitizenBodyParsers } from './citizen/citizen-body-parsers';
import { CitizenCsrfHooks } from './citizen/citizen-csrf.hooks';
import { CitizenPageController } from './citizen/citizen-page.controller';
import { CitizenSessionController } from './citizen/citizen-session.controller';
import { CitizenResolver } from './citizen/citizen.resolver';
import { ConsentRevocationsController } from './citizen/consent-revocations.controller';
import { SourcesResolver } from './citizen/sources.resolver';
import { BatchResolver } from './batch/batch.resolver';
import { graphqlOptions } from './graphql/graphql-options';
import { RequestTracingInterceptor } from './graphql/request-tracing';
import { GatewayMetrics } from './health/gateway-metrics';
import { HealthController } from './health/health.controller';
import { HealthService } from './health/health.service';
import { QuotaModule } from '@broker/quota';
import { GatewayMetricsModule } from './health/gateway-metrics.module';
import { HealthMetrics } from './health/health-metrics';
import { LogController } from './log/log.controller';
import { MemberAuthGuard } from './person/member-auth.guard';
import { PersonResolver } from './person/person.resolver';

/** The gateway process: GraphQL for members and citizens, the citizen page, health for operators and metrics on a loopback listener. */
@Module({})
export class GatewayModule {
  static forRoot(config: BrokerConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        BrokerConfigModule.forRoot(config),
        MetricsModule.forRoot({
          port: config.metricsPort,
          explicit: config.metricsPortExplicit,
          variable: 'METRICS_PORT',
        }),
        GatewayMetricsModule,
        TrustModule,
        DatabaseModule,
        DisclosureModule,
        QuotaModule,
        AuditModule,
        BatchModule.forRoot({ role: 'gateway' }),
        CitizenModule,
        LogTreeModule,
        TelemetryModule,
        GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: ApolloDriver,
          inject: [BROKER_CONFIG, GatewayMetrics],
          useFactory: (c: BrokerConfig, metrics: GatewayMetrics) => graphqlOptions(c, metrics),
        }),
      ],
      controllers: [
        HealthController,
        AuditController,
        CitizenPageController,
        CitizenSessionController,
        ConsentRevocationsController,
        AccessReportsController,
        LogController,
      ],
      providers: [
        PersonResolver,
        BatchResolver,
        MemberAuthGuard,
        CitizenResolver,
        CitizenAuthGuard,
        SourcesResolver,
        CitizenBodyParsers,
        CitizenCsrfHooks,
        HealthService,
        HealthMetrics,
        // only when traces are exported: without interceptors Nest calls resolvers directly
        ...(tracingEnabled() ? [{ provide: APP_INTERCEPTOR, useClass: RequestTracingInterceptor }] : []),
      ],
    };
  }
}
