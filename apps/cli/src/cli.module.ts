import { Module } from '@nestjs/common';
import { BrokerConfigModule } from '@broker/config';
import { AccessLogCommand, FindCommand, VerifyCommand } from './access-log.command';
import { AuditReportsCommand } from './audit-reports.command';
import { AuditCommand, AuditExportCommand, AuditVerifyCommand } from './audit.command';
import { CliDatabase } from './cli-database';
import { MigrateCommand } from './migrate.command';

@Module({
  imports: [BrokerConfigModule.forRoot()],
  providers: [
    CliDatabase,
    AccessLogCommand,
    VerifyCommand,
    FindCommand,
    MigrateCommand,
    AuditCommand,
    AuditExportCommand,
    AuditVerifyCommand,
    AuditReportsCommand,
  ],
})
export class CliModule {}
