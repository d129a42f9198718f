import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Global, Logger, Module } from '@nestjs/common';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { loadTrustFile } from './trust-file';
import type { TrustRegistry } from './trust-registry';

/** Injection token of the TrustRegistry loaded at boot. */
export const TRUST_REGISTRY = Symbol('TRUST_REGISTRY');

/** Where the demo writes its generated trust file (used when BROKER_TRUST_FILE is unset in development). */
export const DEMO_TRUST_FILE = path.resolve(process.cwd(), '.data', 'demo-trust.json');

/** Resolves the trust file in force, or explains how to get one. */
export function resolveTrustFile(config: BrokerConfig): string {
  if (config.trustFile) return config.trustFile;
  if (config.mode === 'development' && existsSync(DEMO_TRUST_FILE)) return DEMO_TRUST_FILE;
  throw new Error('BROKER_TRUST_FILE is not set (run `npm start` once to generate the demo trust file)');
}

/** Loads and validates the trust file once at boot. */
@Global()
@Module({
  providers: [
    {
      provide: TRUST_REGISTRY,
      inject: [BROKER_CONFIG],
      useFactory: async (config: BrokerConfig): Promise<TrustRegistry> => {
        const file = resolveTrustFile(config);
        const registry = await loadTrustFile(file);
        new Logger('Trust').log(
          `trust file ${path.basename(file)}: broker ${registry.brokerId}, ${registry.allMembers().length} members`,
        );
        return registry;
      },
    },
  ],
  exports: [TRUST_REGISTRY],
})
export class TrustModule {}
