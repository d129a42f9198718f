import { Global, Module } from '@nestjs/common';
import { BrokerConfig, loadBrokerConfig } from './broker-config';

/** Injection token of the validated BrokerConfig. */
export const BROKER_CONFIG = Symbol('BROKER_CONFIG');

/** Provides the BrokerConfig read once from the environment. */
@Global()
@Module({
  providers: [{ provide: BROKER_CONFIG, useFactory: (): BrokerConfig => loadBrokerConfig() }],
  exports: [BROKER_CONFIG],
})
export class BrokerConfigModule {}
