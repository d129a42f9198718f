import { Global, Module, type DynamicModule } from '@nestjs/common';
import { loadBrokerConfig, type BrokerConfig, type ConfigUse } from './broker-config';

/** Injection token of the validated BrokerConfig. */
export const BROKER_CONFIG = Symbol('BROKER_CONFIG');

/** Provides the BrokerConfig: the one given (tests, benchmarks) or the one read once from the environment for `use`. */
@Global()
@Module({})
export class BrokerConfigModule {
  static forRoot(config?: BrokerConfig, use: ConfigUse = 'server'): DynamicModule {
    return {
      module: BrokerConfigModule,
      providers: [
        {
          provide: BROKER_CONFIG,
          useFactory: (): BrokerConfig => config ?? loadBrokerConfig(process.env, use),
        },
      ],
      exports: [BROKER_CONFIG],
    };
  }
}
