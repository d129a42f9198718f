import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { BROKER_CONFIG, redactUrl, type BrokerConfig } from '@broker/config';
import { openDatabase } from './database';

/** Injection token of the TypeORM DataSource. */
export const DATA_SOURCE = Symbol('DATA_SOURCE');

/** Opens PostgreSQL at DATABASE_URL (creating the database if missing) and applies migrations when allowed. */
@Global()
@Module({
  providers: [
    {
      provide: DATA_SOURCE,
      inject: [BROKER_CONFIG],
      useFactory: async (config: BrokerConfig): Promise<DataSource> => {
        const ds = await openDatabase(config.databaseUrl, { migrate: config.migrateOnBoot });
        new Logger('Database').log(
          `PostgreSQL at ${redactUrl(config.databaseUrl)} (migrations ${config.migrateOnBoot ? 'applied' : 'not run'})`,
        );
        return ds;
      },
    },
  ],
  exports: [DATA_SOURCE],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DATA_SOURCE) private readonly ds: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}
