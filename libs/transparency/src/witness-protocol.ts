/**
 * The texts of the C2SP tlog-witness protocol (https://c2sp.org/tlog-witness), for the witness
 * and for the log that calls it: the add-checkpoint request body (`old <size>`, at most 63
 * consistency proof lines in base64, an empty line, the signed checkpoint note) and the
 * `text/x.tlog.size` body of a 409 answer.
 */
import { decodeBase64, decodeDecimal, encodeBase64 } from './base64';
import { type Checkpoint, parseCheckpoint } from './checkpoint';
import { HASH_SIZE } from './hashes';
import { NoteFormatError } from './note-format-error';
import { parseNote, type SignedNote } from './signed-note';

/** The path of the call, under the witness's submission prefix. */
export const ADD_CHECKPOINT_PATH = '/add-checkpoint';
/** Content type of a 409 answer: the witness's latest cosigned size, in decimal, and a newline. */
export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';

/** The spec's limit on consistency proof lines. */
export const MAX_CONSISTENCY_PROOF_LINES = 63;

/** A parsed add-checkpoint request. */
export interface AddCheckpointRequest {
  readonly oldSize: number;
  readonly proof: readonly Buffer[];
  /** The checkpoint note as sent. */
  readonly noteText: string;
  readonly note: SignedNote;
  readonly checkpoint: Checkpoint;
}

/** Parses the request body; throws NoteFormatError with a one-line reason when it is malformed. */
export function parseAddCheckpointRequest(body: string): AddCheckpointRequest {
  const lines = body.split('\n');
  if (!lines[0].startsWith('old ')) throw new NoteFormatError('the first line is not "old <size>"');
  const oldSize = decodeDecimal(lines[0].slice('old '.length), 'the old size');
  const proof: Buffer[] = [];
  let i = 1;
  for (; i < lines.length && lines[i] !== ''; i++) {
    if (proof.length === MAX_CONSISTENCY_PROOF_LINES) {
      throw new NoteFormatError(`more than ${MAX_CONSISTENCY_PROOF_LINES} consistency proof lines`);
    }
    const hash = decodeBase64(lines[i], `consistency proof line ${proof.length + 1}`);
    if (hash.length !== HASH_SIZE)
      throw new NoteFormatError(`consistency proof line ${proof.length + 1} is not a hash`);
    proof.push(hash);
  }
  if (i >= lines.length) throw new NoteFormatError('no empty line before the checkpoint');
  const noteText = lines.slice(i + 1).join('\n');
  const note = parseNote(noteText);
  return { oldSize, proof, noteText, note, checkpoint: parseCheckpoint(note.text) };
}

/** The request body a log sends: the size it believes the witness has, the proof from it, its checkpoint note. */
export function formatAddCheckpointRequest(
  oldSize: number,
  proof: readonly Uint8Array[],
  note: string,
): string {
  if (!Number.isSafeInteger(oldSize) || oldSize < 0) throw new RangeError(`bad old size ${oldSize}`);
  if (proof.length > MAX_CONSISTENCY_PROOF_LINES) throw new RangeError('too many consistency proof lines');
  return `old ${oldSize}\n${proof.map((h) => `${encodeBase64(h)}\n`).join('')}\n${note}`;
}

/** The size in a 409 answer (`text/x.tlog.size`); throws NoteFormatError when it is not one. */
export function parseTlogSize(body: string): number {
  if (!body.endsWith('\n')) throw new NoteFormatError('a tlog size ends with a newline');
  return decodeDecimal(body.slice(0, -1), 'the tlog size');
}
