import type { Command as CommanderCommand } from 'commander';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import type { NoteVerifier } from '@broker/transparency';
import { LogFetchError, LogHttpSource } from './log-http-source';
import { monitorLog } from './log-monitor';
import { loadMonitorState, MonitorStateError, saveMonitorState } from './monitor-state-file';
import {
  collect,
  exitTwoOnUsageErrors,
  parseOrUsage,
  logBaseUrlArgument,
  logVerifierArgument,
  quorumArgument,
  resolveVkeyArgument,
  UsageError,
  witnessVerifierArguments,
} from './tlog-arguments';

const USAGE =
  'usage: log monitor --url URL --state FILE [--log-vkey VKEY] [--witness-vkey VKEY ...] [--quorum N]';

interface LogMonitorOptions {
  url?: string;
  state?: string;
  logVkey?: string;
  witnessVkey?: string[];
  quorum?: string;
}

/** What `log monitor` was asked to do. */
export interface LogMonitorRequest {
  readonly base: string;
  readonly stateFile: string;
  readonly logVkey?: string;
  readonly witnesses: readonly NoteVerifier[];
  readonly quorum: number;
}

/** Checks the command line of `log monitor`; throws a UsageError. */
export function parseLogMonitorArguments(args: readonly string[], o: LogMonitorOptions): LogMonitorRequest {
  if (args.length > 0) throw new UsageError(`unexpected argument ${args[0]}`);
  const base = logBaseUrlArgument(o.url);
  if (!o.state) throw new UsageError('--state is required');
  let logVkey: string | undefined;
  if (o.logVkey !== undefined) {
    logVkey = resolveVkeyArgument(o.logVkey, '--log-vkey');
    logVerifierArgument(logVkey); // a witness key given as the log's is a usage error, not a failed check
  }
  const witnesses = witnessVerifierArguments(o.witnessVkey ?? []);
  return { base, stateFile: o.state, logVkey, witnesses, quorum: quorumArgument(o.quorum, witnesses) };
}

@SubCommand({
  name: 'monitor',
  description:
    "Check the log's latest checkpoint against the one seen last (kept in --state): exit 0 when it is signed " +
    'and extends it, 1 on a rollback, a fork, a bad signature or an unreachable log, 2 on bad usage. Without ' +
    '--log-vkey the first run trusts the key at URL/log/vkey and pins it in the state file. Each VKEY is the ' +
    'vkey text or the path of a file holding it.',
})
export class LogMonitorCommand extends CommandRunner {
  override setCommand(command: CommanderCommand): this {
    exitTwoOnUsageErrors(command, USAGE);
    return super.setCommand(command);
  }

  async run(args: string[], o: LogMonitorOptions): Promise<void> {
    const request = parseOrUsage(() => parseLogMonitorArguments(args, o), USAGE);
    if (!request) return;
    try {
      const previous = await loadMonitorState(request.stateFile);
      const verdict = await monitorLog(new LogHttpSource(request.base), previous, request);
      if (verdict.ok) {
        await saveMonitorState(request.stateFile, verdict.state);
        if (verdict.trustedOnFirstUse) {
          process.stderr.write(
            `note: trusted the log key from ${request.base}/log/vkey on first use and pinned it in ${request.stateFile}; pass --log-vkey with a key obtained another way for independent assurance\n`,
          );
        }
      }
      process.stdout.write(`${verdict.line}\n`);
      process.exitCode = verdict.ok ? 0 : 1;
    } catch (error) {
      if (error instanceof LogFetchError) {
        process.stdout.write(`FAIL: ${error.message}\n`);
      } else if (error instanceof MonitorStateError) {
        process.stdout.write(`FAIL: state file ${request.stateFile}: ${error.message} (left as it is)\n`);
      } else {
        const reason = (error as Error).message.replace(/\s+/g, ' ');
        process.stdout.write(`FAIL: ${reason}\n`);
      }
      process.exitCode = 1;
    }
  }

  @Option({
    flags: '--url <url>',
    description: 'the gateway base URL (e.g. http://127.0.0.1:4000), or its /log/checkpoint address',
  })
  parseUrl(v: string): string {
    return v;
  }

  @Option({
    flags: '--state <file>',
    description: 'JSON file holding the last checkpoint seen (created on the first run)',
  })
  parseState(v: string): string {
    return v;
  }

  @Option({
    flags: '--log-vkey <vkey>',
    description:
      "the log's verifier key (type 0x01), or a file holding it; default: pinned in --state, or fetched once",
  })
  parseLogVkey(v: string): string {
    return v;
  }

  @Option({
    flags: '--witness-vkey <vkey>',
    description:
      "a trusted witness's verifier key (type 0x04), or a file holding it; repeat for each witness",
  })
  parseWitnessVkey(v: string, previous?: string[]): string[] {
    return collect(v, previous);
  }

  @Option({
    flags: '--quorum <n>',
    description:
      'how many of the given witnesses must have cosigned (default: all of them; 0 without --witness-vkey)',
  })
  parseQuorum(v: string): string {
    return v;
  }
}

@Command({
  name: 'log',
  description: "Watch the broker's public transparency log",
  subCommands: [LogMonitorCommand],
})
export class LogCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}
