/**
 * Signed notes (https://c2sp.org/signed-note): a text ending in a newline, a blank line, then
 * signature lines `— <key name> <base64(key ID ‖ signature)>`. The text is separated from the
 * signatures by the last blank line. Verification ignores signatures from unknown keys (name and
 * key ID must both match a known key), rejects the note when a known key's signature fails, and
 * requires at least one known key's signature to verify.
 */
import { decodeBase64, encodeBase64 } from './base64';
import { NoteFormatError } from './note-format-error';
import type { NoteSigner, NoteVerifier } from './note-keys';

/** Verifiers must accept at least 16 signatures; more than this many is refused as malformed. */
export const MAX_NOTE_SIGNATURES = 64;
/** The longest note accepted, in UTF-16 code units (a checkpoint with 64 signatures is ~8 KiB). */
export const MAX_NOTE_LENGTH = 64 * 1024;

const SIGNATURE_LINE = /^\u2014 ([^\s+]+) (\S+)$/u;
const LONE_SURROGATE = /\p{Cs}/u;

/** ASCII control characters other than the newline are forbidden, and so are lone surrogates (not UTF-8 once encoded). */
function hasForbiddenCharacter(note: string): boolean {
  for (let i = 0; i < note.length; i++) {
    const code = note.charCodeAt(i);
    if (code < 0x20 && code !== 0x0a) return true;
  }
  return LONE_SURROGATE.test(note);
}

/** One signature line. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: Buffer;
  /** The signature bytes after the key ID. */
  readonly signature: Buffer;
  /** The whole line, without its newline. */
  readonly line: string;
}

/** A parsed signed note. */
export interface SignedNote {
  /** The note text, final newline included. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** A signature that a known key verified. */
export interface VerifiedSignature extends NoteSignature {
  readonly verifier: NoteVerifier;
}

/** Why a note was rejected: not a signed note, no known key signed it, or a known key's signature failed. */
export type NoteRejection = 'MALFORMED' | 'NO_KNOWN_SIGNATURE' | 'BAD_SIGNATURE';

/** The outcome of `verifyNote`. */
export type NoteVerification =
  | { readonly ok: true; readonly note: SignedNote; readonly verified: readonly VerifiedSignature[] }
  | { readonly ok: false; readonly code: NoteRejection; readonly reason: string };

/** Decodes note bytes as UTF-8, refusing invalid sequences instead of replacing them. */
export function decodeNoteBytes(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new NoteFormatError('the note is not valid UTF-8');
  }
}

/** Parses a signed note (no signature is checked here). */
export function parseNote(note: string): SignedNote {
  if (note.length > MAX_NOTE_LENGTH) throw new NoteFormatError('the note is too long');
  if (hasForbiddenCharacter(note))
    throw new NoteFormatError('the note holds a control character or invalid text');
  if (!note.endsWith('\n')) throw new NoteFormatError('the note does not end with a newline');
  const blank = note.lastIndexOf('\n\n');
  if (blank < 0) throw new NoteFormatError('no blank line between the note text and its signatures');
  const text = note.slice(0, blank + 1);
  const lines = note.slice(blank + 2, -1).split('\n');
  if (lines.length === 1 && lines[0] === '') throw new NoteFormatError('the note has no signature line');
  if (lines.length > MAX_NOTE_SIGNATURES) {
    throw new NoteFormatError(`the note has more than ${MAX_NOTE_SIGNATURES} signatures`);
  }
  const signatures = lines.map((line) => {
    const match = SIGNATURE_LINE.exec(line);
    if (match === null) throw new NoteFormatError(`not a signature line: "${line.slice(0, 60)}"`);
    const raw = decodeBase64(match[2], `the signature of ${match[1]}`);
    if (raw.length < 5) throw new NoteFormatError(`the signature of ${match[1]} is too short`);
    return { name: match[1], keyId: raw.subarray(0, 4), signature: raw.subarray(4), line };
  });
  return { text, signatures };
}

/** A signature line, newline included. */
export function formatSignatureLine(name: string, keyId: Uint8Array, signature: Uint8Array): string {
  return `\u2014 ${name} ${encodeBase64(Buffer.concat([keyId, signature]))}\n`;
}

/** Signs `text` (which must end with a newline) with each signer and returns the signed note. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  if (!text.endsWith('\n')) throw new NoteFormatError('the note text does not end with a newline');
  if (signers.length === 0) throw new RangeError('a signed note needs at least one signer');
  const bytes = Buffer.from(text, 'utf8');
  const lines = signers.map((s) => formatSignatureLine(s.name, s.keyId, s.sign(bytes)));
  return `${text}\n${lines.join('')}`;
}

const keyLabel = (name: string, keyId: Buffer): string => `${name} (key ID ${keyId.toString('hex')})`;

/** Verifies a note against known keys (see the file comment for the rules); a malformed note is rejected, not thrown. */
export function verifyNote(note: string | SignedNote, verifiers: readonly NoteVerifier[]): NoteVerification {
  let parsed: SignedNote;
  try {
    parsed = typeof note === 'string' ? parseNote(note) : note;
  } catch (error) {
    if (!(error instanceof NoteFormatError)) throw error;
    return { ok: false, code: 'MALFORMED', reason: error.message };
  }
  const text = Buffer.from(parsed.text, 'utf8');
  const verified: VerifiedSignature[] = [];
  for (const sig of parsed.signatures) {
    const verifier = verifiers.find((v) => v.name === sig.name && v.keyId.equals(sig.keyId));
    if (verifier === undefined) continue;
    if (!verifier.verify(text, sig.signature)) {
      return {
        ok: false,
        code: 'BAD_SIGNATURE',
        reason: `the signature of ${keyLabel(sig.name, sig.keyId)} does not verify`,
      };
    }
    if (!verified.some((v) => v.verifier === verifier)) verified.push({ ...sig, verifier });
  }
  if (verified.length === 0) {
    const known = verifiers.map((v) => keyLabel(v.name, v.keyId)).join(', ') || 'none';
    return { ok: false, code: 'NO_KNOWN_SIGNATURE', reason: `no signature by a known key (known: ${known})` };
  }
  return { ok: true, note: parsed, verified };
}
