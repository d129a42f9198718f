import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, type DynamicModule } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { BROKER_CONFIG, BrokerConfigModule, type BrokerConfig } from '@broker/config';
import { DatabaseModule } from '@broker/database';
import { AuditModule } from '@broker/audit';
import { BatchModule } from '@broker/batch';
import { DisclosureModule } from '@broker/disclosure';
import { TrustModule } from '@broker/trust';
import { AuditController } from './audit/audit.controller';
import { BatchResolver } from './batch/batch.resolver';
import { graphqlOptions } from './graphql/graphql-options';
import { GatewayMetrics } from './health/gateway-metrics';
import { HealthController } from './health/health.controller';
import { MetricsModule } from './health/metrics.module';
import { MemberAuthGuard } from './person/member-auth.guard';
import { PersonResolver } from './person/person.resolver';

/** The gateway process: GraphQL for members, health and metrics for operators. */
@Module({})
export class GatewayModule {
  static forRoot(config: BrokerConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        BrokerConfigModule.forRoot(config),
        MetricsModule,
        TrustModule,
        DatabaseModule,
        DisclosureModule,
        AuditModule,
        BatchModule.forRoot({ role: 'gateway' }),
        GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: ApolloDriver,
          inject: [BROKER_CONFIG, GatewayMetrics],
          useFactory: (c: BrokerConfig, metrics: GatewayMetrics) => graphqlOptions(c, metrics),
        }),
      ],
      controllers: [HealthController, AuditController],
      providers: [PersonResolver, BatchResolver, MemberAuthGuard],
    };
  }
}
