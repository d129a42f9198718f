/**
 * The log monitor's judgement: given the checkpoint it saw last (its state) and what the log serves
 * now, is the new checkpoint signed, cosigned as required and an append-only extension of the old
 * one? A smaller tree is a rollback, another root at the same size or a failing consistency proof
 * is a fork. Nothing here does I/O: the log is reached through a LogSource.
 */
import {
  Ed25519NoteVerifier,
  encodeBase64,
  NoteFormatError,
  type NoteVerifier,
  parseCheckpoint,
  parseNote,
  parseVkey,
  verifyConsistency,
  verifyNote,
} from '@broker/transparency';

/** What the monitor keeps between runs: the last checkpoint it accepted and the log key that signed it. */
export interface MonitorState {
  readonly origin: string;
  /** The log's vkey, pinned at the first run. */
  readonly vkey: string;
  readonly size: number;
  /** Base64 root hash. */
  readonly root: string;
  /** The signed checkpoint note, verbatim. */
  readonly note: string;
  /** When this checkpoint was accepted (ISO 8601). */
  readonly checkedAt: string;
}

/** How the monitor reads the log (HTTP in the command, a fake in tests). */
export interface LogSource {
  /** The latest published checkpoint note. */
  checkpoint(): Promise<string>;
  /** The log's vkey (read only on a first run without --log-vkey). */
  vkey(): Promise<string>;
  /** The consistency proof between two tree sizes. */
  consistency(from: number, to: number): Promise<Buffer[]>;
}

/** Why the monitor failed. */
export type MonitorFailure =
  'KEY_MISMATCH' | 'MALFORMED' | 'SIGNATURE' | 'ORIGIN' | 'QUORUM' | 'ROLLBACK' | 'FORK' | 'INCONSISTENT';

/** The monitor's verdict; on success, the state to keep. */
export type MonitorVerdict =
  | {
      readonly ok: true;
      readonly line: string;
      readonly state: MonitorState;
      readonly trustedOnFirstUse: boolean;
    }
  | { readonly ok: false; readonly code: MonitorFailure; readonly line: string };

/** Whom the monitor trusts besides the pinned log key. */
export interface MonitorPolicy {
  /** --log-vkey, when given. */
  readonly logVkey?: string;
  readonly witnesses: readonly NoteVerifier[];
  readonly quorum: number;
}

const fail = (code: MonitorFailure, reason: string): MonitorVerdict => ({
  ok: false,
  code,
  line: `FAIL: ${reason}`,
});

/** Checks the log's latest checkpoint against the previous state; the caller stores `state` only when ok. */
export async function monitorLog(
  source: LogSource,
  previous: MonitorState | undefined,
  policy: MonitorPolicy,
  now: Date = new Date(),
): Promise<MonitorVerdict> {
  if (policy.logVkey !== undefined && previous !== undefined && policy.logVkey !== previous.vkey) {
    return fail(
      'KEY_MISMATCH',
      `--log-vkey is not the log key pinned in the state file (${previous.vkey}); a new log key needs a new state file`,
    );
  }
  const trustedOnFirstUse = policy.logVkey === undefined && previous === undefined;
  let log: Ed25519NoteVerifier;
  let vkey: string;
  try {
    vkey = parseVkey(policy.logVkey ?? previous?.vkey ?? (await source.vkey())).text;
    log = new Ed25519NoteVerifier(vkey);
  } catch (error) {
    if (!(error instanceof NoteFormatError)) throw error;
    return fail('MALFORMED', `the log's vkey: ${error.message}`);
  }

  const note = await source.checkpoint();
  let checkpoint;
  try {
    checkpoint = parseCheckpoint(parseNote(note).text);
  } catch (error) {
    if (!(error instanceof NoteFormatError)) throw error;
    return fail('MALFORMED', `the checkpoint: ${error.message}`);
  }
  const { origin, size, rootHash } = checkpoint;
  const expectedOrigin = previous?.origin ?? log.name;
  if (origin !== expectedOrigin) {
    return fail('ORIGIN', `the checkpoint's origin "${origin}" is not "${expectedOrigin}"`);
  }
  const verification = verifyNote(note, [log, ...policy.witnesses]);
  if (!verification.ok && verification.code !== 'NO_KNOWN_SIGNATURE') {
    return fail('SIGNATURE', `bad checkpoint signature: ${verification.reason}`);
  }
  const verified = verification.ok ? verification.verified : [];
  if (!verified.some((v) => v.verifier === log)) {
    return fail(
      'SIGNATURE',
      `the checkpoint of ${origin} at size ${size} is not signed by the log key ${log.name}`,
    );
  }
  const cosigners = verified.filter((v) => v.verifier !== log).map((v) => v.name);
  if (cosigners.length < policy.quorum) {
    return fail(
      'QUORUM',
      `the checkpoint of ${origin} at size ${size} is cosigned by ${cosigners.length} trusted witness${cosigners.length === 1 ? '' : 'es'}, the quorum is ${policy.quorum}`,
    );
  }

  const root = encodeBase64(rootHash);
  const state: MonitorState = { origin, vkey: vkey, size, root, note, checkedAt: now.toISOString() };
  const witnessed = cosigners.length > 0 ? `, cosigned by ${cosigners.join(', ')}` : '';
  if (previous === undefined) {
    return {
      ok: true,
      trustedOnFirstUse,
      state,
      line: `OK: first checkpoint of ${origin} at size ${size}, root ${root}${witnessed}${trustedOnFirstUse ? ` (log key ${vkey} trusted on first use)` : ''}`,
    };
  }
  if (size < previous.size) {
    return fail(
      'ROLLBACK',
      `rollback: ${origin} serves size ${size}, below size ${previous.size} seen at ${previous.checkedAt}`,
    );
  }
  if (size === previous.size) {
    if (root !== previous.root) {
      return fail(
        'FORK',
        `fork: ${origin} at size ${size} has root ${root}, not ${previous.root} seen at ${previous.checkedAt}`,
      );
    }
    return {
      ok: true,
      trustedOnFirstUse,
      state,
      line: `OK: ${origin} size ${size} -> ${size}, unchanged${witnessed}`,
    };
  }
  const proof = previous.size === 0 ? [] : await source.consistency(previous.size, size);
  const oldRoot = Buffer.from(previous.root, 'base64');
  if (!verifyConsistency(previous.size, size, oldRoot, rootHash, proof)) {
    return fail(
      'INCONSISTENT',
      `fork (inconsistent): ${origin} at size ${size} does not extend the tree of size ${previous.size} seen at ${previous.checkedAt}`,
    );
  }
  return {
    ok: true,
    trustedOnFirstUse,
    state,
    line: `OK: ${origin} size ${previous.size} -> ${size}, consistent${witnessed}`,
  };
}
