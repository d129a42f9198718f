/**
 * Checkpoints (https://c2sp.org/tlog-checkpoint): the note text of a log's signed tree head,
 * `<origin>\n<size>\n<base64 root>\n` followed by optional non-empty extension lines.
 */
import { decodeBase64, decodeDecimal, encodeBase64 } from './base64';
import { HASH_SIZE } from './hashes';
import { NoteFormatError } from './note-format-error';
import { type NoteSigner, isKeyName } from './note-keys';
import { signNote } from './signed-note';

/** A log's tree head as a checkpoint states it. */
export interface Checkpoint {
  /** The log's identity (its key name, by this project's convention). */
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Buffer;
  /** Opaque extension lines (not recommended by the spec; this log writes none). */
  readonly extensions: readonly string[];
}

/** The checkpoint's note text. */
export function formatCheckpoint(
  checkpoint: Omit<Checkpoint, 'extensions'> & { extensions?: readonly string[] },
): string {
  const { origin, size, rootHash, extensions = [] } = checkpoint;
  if (origin === '' || origin.includes('\n'))
    throw new NoteFormatError('the origin must be one non-empty line');
  if (!Number.isSafeInteger(size) || size < 0) throw new NoteFormatError(`bad tree size ${size}`);
  if (rootHash.length !== HASH_SIZE) throw new NoteFormatError('the root hash is not 32 bytes');
  if (extensions.some((line) => line === '' || line.includes('\n'))) {
    throw new NoteFormatError('extension lines must be single non-empty lines');
  }
  return [origin, String(size), encodeBase64(rootHash), ...extensions].map((l) => `${l}\n`).join('');
}

/** Parses a checkpoint's note text (the part of the signed note before the blank line). */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw new NoteFormatError('the checkpoint does not end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw new NoteFormatError('a checkpoint has at least three lines');
  if (lines.some((line) => line === '')) throw new NoteFormatError('a checkpoint line is empty');
  const [origin, size, root, ...extensions] = lines;
  const rootHash = decodeBase64(root, 'the checkpoint root hash');
  if (rootHash.length !== HASH_SIZE) throw new NoteFormatError('the checkpoint root hash is not 32 bytes');
  return { origin, size: decodeDecimal(size, 'the checkpoint tree size'), rootHash, extensions };
}

/** Formats and signs a checkpoint; the log's key name should be its origin. */
export function signCheckpoint(checkpoint: Checkpoint, signer: NoteSigner): string {
  return signNote(formatCheckpoint(checkpoint), [signer]);
}

/** True when `origin` could also serve as a key name (no space, no '+'), as the spec recommends. */
export function isRecommendedOrigin(origin: string): boolean {
  return isKeyName(origin);
}
