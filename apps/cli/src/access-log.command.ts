import { Inject } from '@nestjs/common';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { leafBytes, verifyAccessLog, type AccessEntry } from '@broker/access-log';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import {
  bySeverity,
  compareHistory,
  LogTreeRepository,
  TreeRootRecorder,
  type CheckedAnchor,
  type HistoryProblem,
} from '@broker/log-tree';
import { encodeBase64, leafHash, parseCheckpoint, parseNote } from '@broker/transparency';
import {
  describeAnchor,
  gatherAnchors,
  loadVerifyKeys,
  readCheckpointFile,
  type VerifyKeys,
} from './access-log-history';
import { CliDatabase } from './cli-database';
import { collect, UsageError } from './tlog-arguments';

interface JsonOption {
  json?: boolean;
}

function print(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function serialise(e: AccessEntry): Record<string, unknown> {
  return { ...e, occurredAt: e.occurredAt.toISOString() };
}

interface VerifyOptions extends JsonOption {
  checkpoint?: string[];
  requireWitnesses?: boolean;
  logVkey?: string;
}

const VERIFY_USAGE =
  'usage: access-log verify [--json] [--checkpoint FILE ...] [--log-vkey VKEY] [--require-witnesses]';

/** The `tree` member of `access-log verify --json`. */
export interface TreeReport {
  /** Entries walked (leaves) and the root they make. */
  size: number;
  root: string;
  checkedAgainst: CheckedAnchor[];
  /** The most serious problem, or null. */
  problem: HistoryProblem | null;
  problems: HistoryProblem[];
  notes: string[];
}

@SubCommand({
  name: 'verify',
  description:
    'Walk the hash chain and the Merkle tree of the access log; compare the tree with the latest published ' +
    'checkpoint, what the broker recorded each witness cosigned, what each witness of the trust file says it ' +
    'cosigned and any --checkpoint FILE. Exit 1 on a broken chain or a rewritten, truncated or forked history ' +
    '(or bad usage), 2 when the database fails.',
})
export class VerifyCommand extends CommandRunner {
  constructor(
    @Inject(CliDatabase) private readonly db: CliDatabase,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {
    super();
  }

  async run(args: string[], options: VerifyOptions): Promise<void> {
    // usage first: a bad argument is reported without touching the database
    const prepared = await this.prepare(args, options);
    if (!prepared) return;
    const { ds, repo } = await this.db.open();
    const tree = new LogTreeRepository(ds);
    const { vk, files } = prepared;
    const gathered = await gatherAnchors(tree, vk, {
      files,
      requireWitnesses: options.requireWitnesses === true,
      witnessTimeoutMs: this.config.transparencyLog.witnessTimeoutMs,
    });
    const recorder = new TreeRootRecorder(gathered.anchors.map((a) => a.size));
    const tty = !options.json && process.stderr.isTTY;
    const report = await verifyAccessLog(
      ds,
      repo,
      (checked, total) => {
        if (tty) process.stderr.write(`\rchecked ${checked} of ${total} entries`);
      },
      undefined,
      (page) => recorder.push(page.map((e) => leafHash(leafBytes(e)))),
    );
    if (tty) process.stderr.write('\n');
    const compared = compareHistory(gathered.anchors, recorder.size, (size) => recorder.rootAt(size));
    const problems = bySeverity([...compared.problems, ...gathered.problems]);
    const treeReport: TreeReport = {
      size: recorder.size,
      root: encodeBase64(recorder.root()),
      checkedAgainst: compared.checkedAgainst,
      problem: problems[0] ?? null,
      problems,
      notes: [...vk.notes, ...gathered.notes],
    };
    const ok = report.ok && problems.length === 0;
    const { problem, ...doc } = report;
    if (options.json) {
      print({ ...doc, ok, tree: treeReport });
    } else {
      if (ok) {
        process.stdout.write(`access log OK: ${report.entries} entries, head ${report.head}\n`);
      } else if (report.ok) {
        process.stdout.write(
          `access log BROKEN: the chain holds (${report.entries} entries, head ${report.head}) but not the history it was checked against\n`,
        );
      } else {
        process.stdout.write(
          `access log BROKEN at seq ${report.firstBroken} (${problem?.reason}); ${report.entries} entries read, recorded head ${report.head}\n`,
        );
      }
      for (const p of problems) process.stdout.write(`history ${p.reason.toUpperCase()}: ${p.detail}\n`);
      const against = compared.checkedAgainst.map(describeAnchor);
      process.stdout.write(
        `tree of ${recorder.size} entries (root ${treeReport.root}) checked against ${against.length ? against.join('; ') : 'nothing (no checkpoint found)'}\n`,
      );
      for (const n of treeReport.notes) process.stderr.write(`note: ${n}\n`);
    }
    if (!ok) process.exitCode = 1;
  }

  /** Keys and files, or undefined after a usage error (exit 2). */
  private async prepare(
    args: string[],
    options: VerifyOptions,
  ): Promise<{ vk: VerifyKeys; files: { path: string; note: string; vkey?: string }[] } | undefined> {
    try {
      if (args.length > 0) throw new UsageError(`unexpected argument ${args[0]}`);
      const files = (options.checkpoint ?? []).map((path) => ({ path, ...readCheckpointFile(path) }));
      const vk = await loadVerifyKeys(this.config, options.logVkey, async () => {
        const cp = await new LogTreeRepository((await this.db.open()).ds).latestCheckpoint();
        return cp ? parseCheckpoint(parseNote(cp.note).text).origin : null;
      });
      return { vk, files };
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      process.stderr.write(`${error.message}\n${VERIFY_USAGE}\n`);
      // as for an unknown option: the command did not start (docs/access-log.md, exit codes)
      process.exitCode = 1;
      return undefined;
    }
  }

  @Option({
    flags: '--json',
    description:
      'print one JSON object {ok, entries, head, firstBroken, tree: {checkedAgainst, problem, ...}}',
  })
  parseJson(): boolean {
    return true;
  }

  @Option({
    flags: '--checkpoint <file>',
    description:
      'a saved checkpoint to compare with too: a signed note, a `log monitor` state file or a .tlog-proof; repeatable',
  })
  parseCheckpoint(v: string, previous?: string[]): string[] {
    return collect(v, previous);
  }

  @Option({
    flags: '--log-vkey <vkey>',
    description:
      "the log's verifier key (type 0x01) or a file holding it; default: from BROKER_NOTE_KEY_FILE",
  })
  parseLogVkey(v: string): string {
    return v;
  }

  @Option({
    flags: '--require-witnesses',
    description: 'fail (exit 1) when a witness of the trust file cannot be asked (default: a note)',
  })
  parseRequireWitnesses(): boolean {
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
