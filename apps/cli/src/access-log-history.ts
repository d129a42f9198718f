/**
 * `access-log verify` against the witnessed transparency log (issue 12, ADR 0010): which keys
 * the anchors are checked with, and the anchors themselves, read before the chain walk starts
 * (so that every size they name was integrated, hence committed, before the walk's head is read).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { BrokerConfig } from '@broker/config';
import {
  anchorFromNote,
  anchorLabel,
  askWitness,
  checkpointNoteOf,
  DEV_NOTE_KEY_FILE,
  loadOrCreateNoteKey,
  witnessStateAnchor,
  type AnchorKeys,
  type HistoryAnchor,
  type HistoryProblem,
  type LogTreeRepository,
} from '@broker/log-tree';
import { Ed25519NoteSigner, Ed25519NoteVerifier, NoteFormatError } from '@broker/transparency';
import { loadTrustFile, resolveTrustFile, type TrustRegistry } from '@broker/trust';
import { logVerifierArgument, UsageError } from './tlog-arguments';

/** The keys to check anchors with, and what could not be found (notes for the report). */
export interface VerifyKeys {
  keys: AnchorKeys;
  quorum: number;
  notes: string[];
}

/** A checkpoint file given with --checkpoint: at most a monitor state or a tlog-proof, a few KiB. */
const MAX_CHECKPOINT_FILE_BYTES = 256 * 1024;

/**
 * The trust file (BROKER_TRUST_FILE; the demo's in development) gives the origin and the witnesses;
 * the log key comes from `--log-vkey`, else from the note key file (BROKER_NOTE_KEY_FILE; the
 * development key under .data/ in development), named after the origin. Nothing is generated.
 */
export async function loadVerifyKeys(
  config: BrokerConfig,
  logVkeyArgument: string | undefined,
  originFromDatabase: () => Promise<string | null>,
): Promise<VerifyKeys> {
  const notes: string[] = [];
  let trust: TrustRegistry | null = null;
  let trustFile: string | null = null;
  try {
    trustFile = resolveTrustFile(config);
  } catch {
    notes.push('no trust file (BROKER_TRUST_FILE): no witness asked, the origin is not checked');
  }
  if (trustFile !== null) trust = await loadTrustFile(trustFile);
  let log: Ed25519NoteVerifier | null = null;
  if (logVkeyArgument !== undefined) {
    log = logVerifierArgument(logVkeyArgument);
    if (trust && log.name !== trust.brokerId)
      throw new UsageError(`--log-vkey names ${log.name}, not the broker ${trust.brokerId}`);
  } else {
    const file =
      config.transparencyLog.noteKeyFile ?? (config.mode === 'development' ? DEV_NOTE_KEY_FILE : undefined);
    if (file !== undefined && existsSync(file)) {
      const name = trust?.brokerId ?? (await originFromDatabase());
      // the file exists: read, never generated
      if (name !== null)
        log = new Ed25519NoteVerifier(
          new Ed25519NoteSigner(name, loadOrCreateNoteKey(file, 'production')).vkey,
        );
    } else if (config.transparencyLog.noteKeyFile !== undefined) {
      throw new UsageError(`BROKER_NOTE_KEY_FILE ${config.transparencyLog.noteKeyFile} not found`);
    }
    if (log === null)
      notes.push(
        'no log key (--log-vkey or BROKER_NOTE_KEY_FILE): the broker signature on checkpoints is not checked',
      );
  }
  return {
    keys: { log, witnesses: trust?.witnessPolicy.witnesses ?? [], origin: trust?.brokerId ?? null },
    quorum: trust?.witnessPolicy.quorum ?? 0,
    notes,
  };
}

/** Reads a `--checkpoint` file (usage error when it cannot be read or holds no checkpoint note). */
export function readCheckpointFile(file: string): { note: string; vkey?: string } {
  let text: string;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_CHECKPOINT_FILE_BYTES)
      throw new Error(`longer than ${MAX_CHECKPOINT_FILE_BYTES} bytes`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new UsageError(`--checkpoint ${file}: ${why}`);
  }
  try {
    return checkpointNoteOf(text);
  } catch (e) {
    if (!(e instanceof NoteFormatError)) throw e;
    throw new UsageError(`--checkpoint ${file}: ${e.message}`);
  }
}

/** The anchors to compare the log with, and what went wrong while gathering them. */
export interface GatheredAnchors {
  anchors: HistoryAnchor[];
  problems: HistoryProblem[];
  notes: string[];
}

export interface GatherOptions {
  files: readonly { path: string; note: string; vkey?: string }[];
  requireWitnesses: boolean;
  witnessTimeoutMs: number;
}

/**
 * The anchors: (a) the latest published checkpoint and the tree head in the database, (b) what the
 * broker recorded each witness cosigned, (c) what each trust-file witness says it cosigned (and the
 * broker's own checkpoint of that size), (d) the files given. Each is verified before use; a
 * database or file checkpoint that does not verify is a `bad-checkpoint` problem, a witness that
 * cannot be asked a note (a `witness-unavailable` problem with `requireWitnesses`).
 */
export async function gatherAnchors(
  tree: LogTreeRepository,
  vk: VerifyKeys,
  opts: GatherOptions,
): Promise<GatheredAnchors> {
  const { keys } = vk;
  const anchors: HistoryAnchor[] = [];
  const problems: HistoryProblem[] = [];
  const notes: string[] = [];
  const checkpointSizes = new Set<number>();
  const bad = (anchor: string, size: number, reason: string) =>
    problems.push({ reason: 'bad-checkpoint', anchor, size, detail: `${anchor} at size ${size}: ${reason}` });

  // (c) first: the witnesses' answers take the longest, and every size they hold was in the database before
  const origin = keys.origin;
  const asked =
    origin === null
      ? []
      : await Promise.all(
          keys.witnesses.map(
            async (w) => [w, await askWitness(w, { ...keys, origin }, opts.witnessTimeoutMs)] as const,
          ),
        );

  const published = await tree.latestPublished();
  if (published) {
    const made = anchorFromNote(
      'log_checkpoint',
      'latest published',
      published.cosignedNote ?? published.note,
      keys,
    );
    if (!made.ok) bad('log_checkpoint latest published', published.size, made.reason);
    else {
      anchors.push(made.anchor);
      checkpointSizes.add(published.size);
      const cosigners = made.anchor.signedBy.filter((n) => keys.witnesses.some((w) => w.name === n));
      if (cosigners.length < vk.quorum)
        notes.push(
          `the latest published checkpoint (size ${published.size}) is cosigned by ${cosigners.length} trusted witness(es), the quorum is ${vk.quorum}`,
        );
    }
  }
  const head = await tree.head();
  if (head.size > 0)
    anchors.push({ source: 'log_tree_head', name: '', size: head.size, root: head.root, signedBy: [] });

  const databaseCheckpoint = async (size: number): Promise<void> => {
    if (checkpointSizes.has(size)) return;
    checkpointSizes.add(size);
    const cp = await tree.checkpointAt(size);
    if (!cp) return;
    const made = anchorFromNote('log_checkpoint', `size ${size}`, cp.cosignedNote ?? cp.note, keys);
    if (!made.ok) bad(`log_checkpoint size ${size}`, size, made.reason);
    else anchors.push(made.anchor);
  };

  for (const state of await tree.witnessStates()) {
    const cp = await tree.checkpointAt(state.size);
    const made = witnessStateAnchor(state, cp ? cp.note : null, keys);
    if (!made.ok) bad(`log_witness_state ${state.name}`, state.size, made.reason);
    else {
      anchors.push(made.anchor);
      if (made.anchor.root === null)
        notes.push(
          `log_witness_state ${state.name} records size ${state.size} without a checkpoint of that size to check its cosignature: compared by size only`,
        );
    }
  }

  for (const [w, answer] of asked) {
    if (answer.ok) {
      anchors.push(answer.anchor);
      await databaseCheckpoint(answer.anchor.size);
      continue;
    }
    notes.push(`witness ${w.name}: ${answer.reason}`);
    if (opts.requireWitnesses)
      problems.push({
        reason: 'witness-unavailable',
        anchor: `witness ${w.name}`,
        size: 0,
        detail: `witness ${w.name} ${answer.reason}`,
      });
  }

  for (const file of opts.files) {
    let fileKeys = keys;
    if (!keys.log && file.vkey) {
      try {
        fileKeys = { ...keys, log: new Ed25519NoteVerifier(file.vkey) };
        notes.push(`${file.path}: checked with the log key the file itself pins (${fileKeys.log?.name})`);
      } catch (e) {
        if (!(e instanceof NoteFormatError)) throw e;
      }
    }
    const made = anchorFromNote('file', file.path, file.note, fileKeys);
    if (!made.ok) bad(`file ${file.path}`, 0, made.reason);
    else anchors.push(made.anchor);
  }
  return { anchors, problems, notes };
}

/** One line naming an anchor for the human report. */
export function describeAnchor(a: {
  source: HistoryAnchor['source'];
  name: string;
  size: number;
  signedBy: string[];
}): string {
  const by = a.signedBy.length ? `, signed by ${a.signedBy.join(', ')}` : ', unsigned';
  return `${anchorLabel(a)} (size ${a.size}${by})`;
}
