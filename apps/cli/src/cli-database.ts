import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { AccessLogRepository } from '@broker/access-log';
import { dataSourceOptions } from '@broker/database';

/** A small, lazily opened connection for one CLI command (no migrations: the CLI only reads). */
@Injectable()
export class CliDatabase implements OnApplicationShutdown {
  private ds?: DataSource;

  constructor(@Inject(BROKER_CONFIG) private readonly config: BrokerConfig) {}

  /** The open DataSource and the access-log repository over it. */
  async open(): Promise<{ ds: DataSource; repo: AccessLogRepository }> {
    if (!this.ds) {
      this.ds = new DataSource(
        dataSourceOptions(this.config.databaseUrl, { ...this.config.db, poolSize: 2 }),
      );
      await this.ds.initialize();
    }
    return { ds: this.ds, repo: new AccessLogRepository(this.ds) };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.ds?.isInitialized) await this.ds.destroy();
  }
}
