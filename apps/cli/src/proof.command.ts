import { readFile, stat } from 'node:fs/promises';
import type { Command as CommanderCommand } from 'commander';
import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { type NoteVerifier, verifyTlogProof } from '@broker/transparency';
import {
  collect,
  exitTwoOnUsageErrors,
  parseOrUsage,
  logVerifierArgument,
  quorumArgument,
  UsageError,
  witnessVerifierArguments,
} from './tlog-arguments';

const USAGE =
  'usage: proof verify FILE --log-vkey VKEY --witness-vkey VKEY [--witness-vkey VKEY ...] [--quorum N]';

/** A proof is a checkpoint (at most 64 KiB), up to 63 hashes and one entry: 1 MiB is far above any real one. */
const MAX_PROOF_BYTES = 1024 * 1024;

interface ProofVerifyOptions {
  logVkey?: string;
  witnessVkey?: string[];
  quorum?: string;
}

/** What `proof verify` was asked to check. */
export interface ProofVerifyRequest {
  readonly file: string;
  readonly log: NoteVerifier;
  readonly witnesses: readonly NoteVerifier[];
  readonly quorum: number;
}

/** Checks the command line of `proof verify`; throws a UsageError. */
export function parseProofVerifyArguments(
  args: readonly string[],
  o: ProofVerifyOptions,
): ProofVerifyRequest {
  const [file, ...rest] = args;
  if (!file) throw new UsageError('FILE is required');
  if (rest.length > 0) throw new UsageError(`unexpected argument ${rest[0]}`);
  if (!o.logVkey) throw new UsageError('--log-vkey is required');
  if (!o.witnessVkey?.length) throw new UsageError('at least one --witness-vkey is required');
  const log = logVerifierArgument(o.logVkey);
  const witnesses = witnessVerifierArguments(o.witnessVkey);
  return { file, log, witnesses, quorum: quorumArgument(o.quorum, witnesses) };
}

/** The verdict on a proof's text, as the one line the command prints. */
export function proofVerdict(
  text: string,
  request: Omit<ProofVerifyRequest, 'file'>,
): { ok: boolean; line: string } {
  // a file saved or edited by hand may gain blank lines at its end; the signatures cover only
  // the note's text, so they are dropped rather than read as a malformed note
  const result = verifyTlogProof(text.replace(/\n{2,}$/, '\n'), {
    log: request.log,
    witnesses: request.witnesses,
    quorum: request.quorum,
  });
  if (!result.ok) return { ok: false, line: `FAIL: ${result.reason} (${result.code})` };
  const { index, checkpoint, witnesses } = result;
  const by = witnesses.length > 0 ? witnesses.join(', ') : 'no witness (quorum 0)';
  return {
    ok: true,
    line: `OK: entry ${index} is in ${checkpoint.origin} at size ${checkpoint.size}, cosigned by ${by}`,
  };
}

async function readProofFile(file: string): Promise<string> {
  const st = await stat(file);
  if (!st.isFile()) throw new Error('not a regular file');
  if (st.size > MAX_PROOF_BYTES) throw new Error(`longer than ${MAX_PROOF_BYTES} bytes`);
  return readFile(file, 'utf8');
}

@SubCommand({
  name: 'verify',
  arguments: '<file>',
  description:
    'Verify a .tlog-proof offline (c2sp.org/tlog-proof@v1 with the entry in its extra line): the log signature, ' +
    'the witness cosignatures and the inclusion of the entry. Prints one line; exit 0 OK, 1 FAIL, 2 bad usage. ' +
    'Each VKEY is the vkey text (name+keyid+base64) or the path of a file holding it.',
})
export class ProofVerifyCommand extends CommandRunner {
  override setCommand(command: CommanderCommand): this {
    exitTwoOnUsageErrors(command, USAGE);
    return super.setCommand(command);
  }

  async run(args: string[], o: ProofVerifyOptions): Promise<void> {
    const request = parseOrUsage(() => parseProofVerifyArguments(args, o), USAGE);
    if (!request) return;
    let text: string;
    try {
      text = await readProofFile(request.file);
    } catch (error) {
      const why =
        (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
      process.stdout.write(`FAIL: cannot read ${request.file}: ${why}\n`);
      process.exitCode = 1;
      return;
    }
    const verdict = proofVerdict(text, request);
    process.stdout.write(`${verdict.line}\n`);
    process.exitCode = verdict.ok ? 0 : 1;
  }

  @Option({
    flags: '--log-vkey <vkey>',
    description: "the log's verifier key (type 0x01, as GET /log/vkey serves it), or a file holding it",
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
    description: 'how many of the given witnesses must have cosigned (default: all of them)',
  })
  parseQuorum(v: string): string {
    return v;
  }
}

@Command({
  name: 'proof',
  description: 'Check transparency-log proofs (.tlog-proof files) offline',
  subCommands: [ProofVerifyCommand],
})
export class ProofCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}
