import { Module } from '@nestjs/common';
import { BrokerConfigModule } from '@broker/config';
import { AccessLogCommand, FindCommand, VerifyCommand } from './access-log.command';
import { AuditReportsCommand } from './audit-reports.command';
import { AuditCommand, AuditExportCommand, AuditVerifyCommand } from './audit.command';
import { CliDatabase } from './cli-database';
import { LogCommand, LogMonitorCommand } from './log.command';
import { MigrateCommand } from './migrate.command';
import { ProofCommand, ProofVerifyCommand } from './proof.command';

@Module({
  // the CLI reads the database and addresses only: no trust file or keys needed, in any mode
  imports: [BrokerConfigModule.forRoot(undefined, 'tool')],
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
    ProofCommand,
    ProofVerifyCommand,
    LogCommand,
    LogMonitorCommand,
  ],
})
export class CliModule {}
