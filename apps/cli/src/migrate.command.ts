import { Inject } from '@nestjs/common';
import { Command, CommandRunner } from 'nest-commander';
import { BROKER_CONFIG, redactUrl, type BrokerConfig } from '@broker/config';
import { openMigrator, runMigrations } from '@broker/database';

@Command({ name: 'migrate', description: 'Create the database if missing and apply pending migrations' })
export class MigrateCommand extends CommandRunner {
  constructor(@Inject(BROKER_CONFIG) private readonly config: BrokerConfig) {
    super();
  }

  async run(): Promise<void> {
    const ds = await openMigrator(this.config.databaseUrl);
    try {
      const done = await runMigrations(ds);
      process.stdout.write(
        `${redactUrl(this.config.databaseUrl)}: ${done.length ? `applied ${done.join(', ')}` : 'up to date'}\n`,
      );
    } finally {
      await ds.destroy();
    }
  }
}
