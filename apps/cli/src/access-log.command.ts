import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { verifyAccessLog, type AccessEntry } from '@broker/access-log';
import { CliDatabase } from './cli-database';

interface JsonOption {
  json?: boolean;
}

function print(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function serialise(e: AccessEntry): Record<string, unknown> {
  return { ...e, occurredAt: e.occurredAt.toISOString() };
}

@SubCommand({
  name: 'verify',
  description: 'Walk the hash chain and report the first broken link (exit 1 when broken).',
})
export class VerifyCommand extends CommandRunner {
  constructor(@Inject(CliDatabase) private readonly db: CliDatabase) {
    super();
  }

  async run(_: string[], options: JsonOption): Promise<void> {
    const { ds, repo } = await this.db.open();
    const tty = !options.json && process.stderr.isTTY;
    const report = await verifyAccessLog(ds, repo, (checked, total) => {
      if (tty) process.stderr.write(`\rchecked ${checked} of ${total} entries`);
    });
    if (tty) process.stderr.write('\n');
    const { problem, ...doc } = report;
    if (options.json) {
      print(doc);
    } else if (report.ok) {
      process.stdout.write(`access log OK: ${report.entries} entries, head ${report.head}\n`);
    } else {
      process.stdout.write(
        `access log BROKEN at seq ${report.firstBroken} (${problem?.reason}); ${report.entries} entries read, recorded head ${report.head}\n`,
      );
    }
    if (!report.ok) process.exitCode = 1;
  }

  @Option({ flags: '--json', description: 'print one JSON object {ok, entries, head, firstBroken}' })
  parseJson(): boolean {
    return true;
  }
}

interface FindOptions extends JsonOption {
  correlationId?: string;
  jobId?: string;
}

@SubCommand({
  name: 'find',
  description: 'Print the entries of one request (--correlation-id) or one job (--job-id).',
})
export class FindCommand extends CommandRunner {
  constructor(@Inject(CliDatabase) private readonly db: CliDatabase) {
    super();
  }

  async run(_: string[], options: FindOptions): Promise<void> {
    if (!options.correlationId === !options.jobId) {
      process.stderr.write('give exactly one of --correlation-id ID or --job-id ID\n');
      process.exitCode = 2;
      return;
    }
    const { repo } = await this.db.open();
    const entries = options.correlationId
      ? await repo.findByCorrelationId(options.correlationId)
      : await repo.findByJobId(options.jobId as string);
    if (options.json) {
      print(entries.map(serialise));
      return;
    }
    for (const e of entries) {
      process.stdout.write(
        `#${e.seq} ${e.occurredAt.toISOString()} ${e.outcome}${e.reasonCode ? ` ${e.reasonCode}` : ''} member=${e.memberId} purpose=${e.purpose ?? '-'} items=${e.itemsDisclosed.join(',') || '-'}\n`,
      );
    }
    if (entries.length === 0) process.stdout.write('no entries\n');
  }

  @Option({ flags: '--correlation-id <id>', description: 'X-Correlation-Id of the request' })
  parseCorrelationId(v: string): string {
    return v;
  }

  @Option({ flags: '--job-id <id>', description: 'id of an asynchronous job' })
  parseJobId(v: string): string {
    return v;
  }

  @Option({ flags: '--json', description: 'print a JSON array' })
  parseJson(): boolean {
    return true;
  }
}

@Command({
  name: 'access-log',
  description: 'Inspect and verify the hash-chained access log',
  subCommands: [VerifyCommand, FindCommand],
})
export class AccessLogCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}
