import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BROKER_CONFIG, redactUrl, type BrokerConfig } from '@broker/config';
import { dataSourceOptions, openDatabase } from './database';

/** Injection token of the TypeORM DataSource. */
export const DATA_SOURCE = Symbol('DATA_SOURCE');

/**
 * Injection token of the access-log appender's own small pool (LOG_POOL_SIZE, LOG_* timeouts):
 * exports, citizen-page counts and batch work on DATA_SOURCE can never take its connections.
 */
export const LOG_DATA_SOURCE = Symbol('LOG_DATA_SOURCE');

/** Opens PostgreSQL at DATABASE_URL (creating the database if missing) and applies migrations when allowed. */
@Global()
@Module({
  providers: [
    {
      provide: DATA_SOURCE,
      inject: [BROKER_CONFIG],
      useFactory: async (config: BrokerConfig): Promise<DataSource> => {
        const ds = await openDatabase(config.databaseUrl, {
          migrate: config.migrateOnBoot,
          limits: config.db,
        });
        new Logger('Database').log(
          `PostgreSQL at ${redactUrl(config.databaseUrl)} (migrations ${config.migrateOnBoot ? 'applied' : 'not run'})`,
        );
        return ds;
      },
    },
    {
      provide: LOG_DATA_SOURCE,
      // after DATA_SOURCE: the database exists and is migrated
      inject: [BROKER_CONFIG, DATA_SOURCE],
      useFactory: async (config: BrokerConfig): Promise<DataSource> => {
        const ds = new DataSource(
          dataSourceOptions(config.databaseUrl, config.logAppend, 'once-only-broker-log'),
        );
        return ds.initialize();
      },
    },
  ],
  exports: [DATA_SOURCE, LOG_DATA_SOURCE],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(LOG_DATA_SOURCE) private readonly logDs: DataSource,
  ) {}
  async onApplicationShutdown(): Promise<void> {
    for (const ds of [this.logDs, this.ds]) if (ds.isInitialized) await ds.destroy();
  }
}
