/**
 * Arguments of the transparency-log commands (`proof verify`, `log monitor`): verifier keys given
 * as vkey text or as a file holding one, the witness quorum and the log's base URL. Every problem
 * is a UsageError (the commands exit 2 with their usage line).
 */
import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import {
  CosignatureV1Verifier,
  Ed25519NoteVerifier,
  NoteFormatError,
  type NoteVerifier,
  parseVkey,
} from '@broker/transparency';

/** A command line that cannot be run as given. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A vkey file holds one key, a line of at most a few hundred bytes: refuse anything much larger. */
const MAX_VKEY_FILE_BYTES = 4096;

/**
 * The vkey text of an argument that is either the vkey itself or the path of a file holding it
 * (surrounding blank space and `#` comment lines ignored). The text is tried first: a vkey
 * (`name+8 hex+base64`, with a matching key ID) is never a plausible file name.
 */
export function resolveVkeyArgument(argument: string, option: string): string {
  try {
    return parseVkey(argument).text;
  } catch (error) {
    if (!(error instanceof NoteFormatError)) throw error;
  }
  let content: string;
  try {
    const st = statSync(argument);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_VKEY_FILE_BYTES) throw new Error(`longer than ${MAX_VKEY_FILE_BYTES} bytes`);
    content = readFileSync(argument, 'utf8');
  } catch (error) {
    const why =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new UsageError(`${option} ${argument}: neither a vkey nor a readable file (${why})`);
  }
  const lines = content
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (lines.length !== 1) throw new UsageError(`${option} ${argument}: the file must hold exactly one vkey`);
  try {
    return parseVkey(lines[0]).text;
  } catch (error) {
    if (!(error instanceof NoteFormatError)) throw error;
    throw new UsageError(`${option} ${argument}: ${error.message}`);
  }
}

/** The log's verifier (type 0x01) from a `--log-vkey` argument. */
export function logVerifierArgument(argument: string): Ed25519NoteVerifier {
  const text = resolveVkeyArgument(argument, '--log-vkey');
  try {
    return new Ed25519NoteVerifier(text);
  } catch (error) {
    if (!(error instanceof NoteFormatError)) throw error;
    throw new UsageError(`--log-vkey: ${error.message}`);
  }
}

/** Witness verifiers (type 0x04) from `--witness-vkey` arguments; the same key twice is a mistake. */
export function witnessVerifierArguments(argumentList: readonly string[]): CosignatureV1Verifier[] {
  const seen = new Set<string>();
  return argumentList.map((argument) => {
    const text = resolveVkeyArgument(argument, '--witness-vkey');
    if (seen.has(text)) throw new UsageError(`--witness-vkey ${text.split('+')[0]} is given twice`);
    seen.add(text);
    try {
      return new CosignatureV1Verifier(text);
    } catch (error) {
      if (!(error instanceof NoteFormatError)) throw error;
      throw new UsageError(`--witness-vkey: ${error.message}`);
    }
  });
}

/**
 * The quorum: by default every witness given must have cosigned (the safe reading of "these are the
 * witnesses I trust"); an explicit `--quorum` lowers it, never above the number of witnesses.
 */
export function quorumArgument(argument: string | undefined, witnesses: readonly NoteVerifier[]): number {
  if (argument === undefined) return witnesses.length;
  if (!/^(?:0|[1-9][0-9]{0,5})$/.test(argument)) {
    throw new UsageError(`--quorum must be a non-negative integer, got "${argument}"`);
  }
  const quorum = Number(argument);
  if (quorum > witnesses.length) {
    throw new UsageError(
      `--quorum ${quorum} can never be met with ${witnesses.length} --witness-vkey${witnesses.length === 1 ? '' : 's'}`,
    );
  }
  return quorum;
}

const CHECKPOINT_PATH = /\/log\/checkpoint\/?$/;

/** The gateway's base URL from `--url`: the base itself, or its `/log/checkpoint` address. */
export function logBaseUrlArgument(argument: string | undefined): string {
  if (!argument) throw new UsageError('--url is required');
  let url: URL;
  try {
    url = new URL(argument);
  } catch {
    throw new UsageError(`--url ${argument} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`--url ${argument} is not an http(s) URL`);
  }
  if (url.search !== '' || url.hash !== '') throw new UsageError(`--url ${argument} has a query or fragment`);
  return url.href.replace(CHECKPOINT_PATH, '').replace(/\/+$/, '');
}

/** Commander's accumulator for a repeatable option. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * Makes commander's own usage errors (unknown option, missing value or argument) exit 2 with the
 * usage line, like the commands' checks: nest-commander sets its error handler on the root command
 * only, and a subcommand would otherwise exit 1, which these commands keep for a failed check.
 */
export function exitTwoOnUsageErrors(command: Command, usage: string): void {
  command.showHelpAfterError(usage);
  command.exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
}

/**
 * The command's request from its arguments, or undefined after printing the usage error and
 * setting exit code 2 (any other error is thrown on).
 */
export function parseOrUsage<T>(parse: () => T, usage: string): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${usage}\n`);
    process.exitCode = 2;
    return undefined;
  }
}
