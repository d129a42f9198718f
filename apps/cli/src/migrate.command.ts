import { Inject } from '@nestjs/common';
import { Command, CommandRunner } from 'nest-commander';
import { BROKER_CONFIG, redactUrl, type BrokerConfig } from '@broker/config';
import { openMigrator, ownerUrl, runMigrations } from '@broker/database';

@Command({ name: 'migrate', description: 'Create the database if missing and apply pending migrations' })
export class MigrateCommand extends CommandRunner {
  constructor(@Inject(BROKER_CONFIG) private readonly config: BrokerConfig) {
    super();
  }

  /** As the tables' owner: DATABASE_OWNER_URL when set (production), else DATABASE_URL. */
  async run(): Promise<void> {
    const url = ownerUrl(this.config);
    const ds = await openMigrator(url);
    try {
      const done = await runMigrations(ds);
      process.stdout.write(
        `${redactUrl(url)}: ${done.length ? `applied ${done.join(', ')}` : 'up to date'}\n`,
      );
    } finally {
      await ds.destroy();
    }
  }
}
