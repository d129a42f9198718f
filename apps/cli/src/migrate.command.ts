import { Inject } from '@nestjs/common';
import { Command, CommandRunner } from 'nest-commander';
import { BROKER_CONFIG, redactUrl, type BrokerConfig } from '@broker/config';
import { openDatabase, runMigrations } from '@broker/database';

@Command({ name: 'migrate', description: 'Create the database if missing and apply pending migrations' })
export class MigrateCommand extends CommandRunner {
  constructor(@Inject(BROKER_CONFIG) private readonly config: BrokerConfig) {
    super();
  }

  async run(): Promise<void> {
    const ds = await openDatabase(this.config.databaseUrl, { migrate: false, poolSize: 2 });
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
