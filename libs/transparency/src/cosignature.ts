/**
 * Witness cosignatures, tlog-cosignature v1 with Ed25519 (https://c2sp.org/tlog-cosignature):
 * signature type 0x04, key ID = SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4], signature bytes =
 * u64 big-endian timestamp ‖ Ed25519 signature over `cosignature/v1\ntime <T>\n` ‖ note text.
 */
import type { KeyObject } from 'node:crypto';
import {
  COSIGNATURE_V1_TYPE,
  ed25519PublicKey,
  ed25519PublicKeyBytes,
  ed25519Sign,
  ed25519Verify,
  formatVkey,
  type NoteSigner,
  type NoteVerifier,
  noteKeyId,
  parseVkey,
  type Vkey,
} from './note-keys';
import { NoteFormatError } from './note-format-error';
import { formatSignatureLine, parseNote, type SignedNote, verifyNote } from './signed-note';

const TIMESTAMP_SIZE = 8;
const COSIGNATURE_SIZE = TIMESTAMP_SIZE + 64;

/** The seconds since the Epoch, now. */
export const unixNow = (): number => Math.floor(Date.now() / 1000);

/** The message a v1 cosignature signs: `cosignature/v1\ntime <T>\n` then the note text. */
export function cosignedMessage(text: Uint8Array, timestamp: number): Buffer {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError(`bad timestamp ${timestamp}`);
  return Buffer.concat([Buffer.from(`cosignature/v1\ntime ${timestamp}\n`, 'utf8'), text]);
}

/** The timestamp of v1 cosignature bytes (after the key ID), or undefined when they are not 72 bytes or the time is out of range. */
export function cosignatureTimestamp(signature: Uint8Array): number | undefined {
  if (signature.length !== COSIGNATURE_SIZE) return undefined;
  const time = Buffer.from(signature.buffer, signature.byteOffset, TIMESTAMP_SIZE).readBigUInt64BE(0);
  return time <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(time) : undefined;
}

/** A witness's cosigner: signs v1 cosignatures, stamped by its clock (seconds since the Epoch). */
export class Ed25519Cosigner implements NoteSigner {
  readonly type = COSIGNATURE_V1_TYPE;
  readonly keyId: Buffer;
  /** The matching vkey text (type 0x04). */
  readonly vkey: string;

  constructor(
    readonly name: string,
    private readonly privateKey: KeyObject,
    private readonly clock: () => number = unixNow,
  ) {
    const publicKey = ed25519PublicKeyBytes(privateKey);
    this.vkey = formatVkey(name, this.type, publicKey);
    this.keyId = noteKeyId(name, this.type, publicKey);
  }

  /** Timestamp ‖ signature, stamped now. */
  sign(text: Buffer): Buffer {
    return this.signAt(text, this.clock());
  }

  /** Timestamp ‖ signature for a given time. */
  signAt(text: Buffer, timestamp: number): Buffer {
    const stamp = Buffer.alloc(TIMESTAMP_SIZE);
    stamp.writeBigUInt64BE(BigInt(timestamp));
    return Buffer.concat([stamp, ed25519Sign(this.privateKey, cosignedMessage(text, timestamp))]);
  }

  /** The cosignature line (newline included) over a note text, stamped `timestamp` (default now). */
  cosignatureLine(text: string, timestamp = this.clock()): string {
    return formatSignatureLine(this.name, this.keyId, this.signAt(Buffer.from(text, 'utf8'), timestamp));
  }
}

/** Verifies v1 Ed25519 cosignatures of one witness key. */
export class CosignatureV1Verifier implements NoteVerifier {
  readonly type = COSIGNATURE_V1_TYPE;
  readonly name: string;
  readonly keyId: Buffer;
  private readonly key: KeyObject;

  constructor(vkey: Vkey | string) {
    const parsed = typeof vkey === 'string' ? parseVkey(vkey) : vkey;
    if (parsed.type !== COSIGNATURE_V1_TYPE) {
      throw new NoteFormatError(`vkey ${parsed.name} is not a cosignature v1 key (type 0x04)`);
    }
    this.name = parsed.name;
    this.keyId = parsed.keyId;
    this.key = ed25519PublicKey(parsed.publicKey);
  }

  verify(text: Buffer, signature: Buffer): boolean {
    const timestamp = cosignatureTimestamp(signature);
    if (timestamp === undefined) return false;
    return ed25519Verify(this.key, cosignedMessage(text, timestamp), signature.subarray(TIMESTAMP_SIZE));
  }
}

/** The outcome of `addCosignatures`. */
export type CosignatureMerge =
  | { readonly ok: true; readonly note: string; readonly witnesses: readonly string[] }
  | { readonly ok: false; readonly reason: string };

/**
 * Checks the signature lines a witness returned (the add-checkpoint response body) against the
 * trusted witness keys and appends those that verify to the note. Lines from unknown keys are
 * dropped; a line from a known key that fails rejects the whole response.
 */
export function addCosignatures(
  note: string,
  response: string,
  witnesses: readonly NoteVerifier[],
): CosignatureMerge {
  let parsed: SignedNote;
  let returned: SignedNote;
  try {
    parsed = parseNote(note);
    returned = parseNote(`${parsed.text}\n${response}`);
  } catch (error) {
    if (!(error instanceof NoteFormatError)) throw error;
    return { ok: false, reason: error.message };
  }
  const verification = verifyNote(returned, witnesses);
  if (!verification.ok) return { ok: false, reason: verification.reason };
  const present = new Set(parsed.signatures.map((s) => s.line));
  const fresh = verification.verified.filter((v) => !present.has(v.line));
  return {
    ok: true,
    note: `${note}${fresh.map((v) => `${v.line}\n`).join('')}`,
    witnesses: verification.verified.map((v) => v.name),
  };
}
