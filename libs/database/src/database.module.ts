import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BROKER_CONFIG, redactUrl, type BrokerConfig } from '@broker/config';
import { dataSourceOptions, migrateDatabase, openDatabase } from './database';
import {
  logRewriteRights,
  ownerUrl,
  RUNTIME_GROUP_ROLE,
  runtimeConnection,
  type RuntimeConnection,
} from './runtime-role';

/** Injection token of the TypeORM DataSource. */
export const DATA_SOURCE = Symbol('DATA_SOURCE');

/**
 * Injection token of the access-log appender's own small pool (LOG_POOL_SIZE, LOG_* timeouts):
 * exports, citizen-page counts and batch work on DATA_SOURCE can never take its connections.
 */
export const LOG_DATA_SOURCE = Symbol('LOG_DATA_SOURCE');

/** Injection token of the RuntimeConnection: the URL and role the pools connect with. */
export const RUNTIME_CONNECTION = Symbol('RUNTIME_CONNECTION');

/**
 * Opens PostgreSQL at DATABASE_URL (creating the database if missing), applies migrations when
 * allowed (as DATABASE_OWNER_URL when set), and connects the pools as the runtime role
 * (docs/operations.md, "Database roles").
 */
@Global()
@Module({
  providers: [
    {
      provide: RUNTIME_CONNECTION,
      inject: [BROKER_CONFIG],
      useFactory: async (config: BrokerConfig): Promise<RuntimeConnection> => {
        if (config.migrateOnBoot) await migrateDatabase(ownerUrl(config));
        return runtimeConnection(config);
      },
    },
    {
      provide: DATA_SOURCE,
      inject: [BROKER_CONFIG, RUNTIME_CONNECTION],
      useFactory: async (config: BrokerConfig, conn: RuntimeConnection): Promise<DataSource> => {
        const ds = await openDatabase(conn.url, { migrate: false, limits: config.db });
        const logger = new Logger('Database');
        logger.log(
          `PostgreSQL at ${redactUrl(conn.url)} (migrations ${config.migrateOnBoot ? 'applied' : 'not run'}${
            conn.setUp
              ? `; as ${conn.role}, member of ${RUNTIME_GROUP_ROLE}, set up from DATABASE_URL's role`
              : ''
          })`,
        );
        const rewrite = await logRewriteRights((sql) => ds.query(sql));
        if (rewrite) {
          logger.warn(
            `${rewrite}: the broker's pools could rewrite the access log; connect as the runtime role (docs/operations.md, "Database roles")`,
          );
        }
        return ds;
      },
    },
    {
      provide: LOG_DATA_SOURCE,
      // after DATA_SOURCE: the database exists and is migrated
      inject: [BROKER_CONFIG, RUNTIME_CONNECTION, DATA_SOURCE],
      useFactory: async (config: BrokerConfig, conn: RuntimeConnection): Promise<DataSource> => {
        const ds = new DataSource(dataSourceOptions(conn.url, config.logAppend, 'once-only-broker-log'));
        return ds.initialize();
      },
    },
  ],
  exports: [DATA_SOURCE, LOG_DATA_SOURCE, RUNTIME_CONNECTION],
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
