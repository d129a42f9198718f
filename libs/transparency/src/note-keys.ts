/**
 * Signed-note keys (https://c2sp.org/signed-note): key IDs, verifier keys ("vkeys") and Ed25519
 * signers and verifiers for the log's own signature (type 0x01). Cosigner keys (type 0x04) are in
 * cosignature.ts; both share the vkey format and the NoteSigner / NoteVerifier interfaces.
 */
import { createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { decodeBase64, encodeBase64 } from './base64';
import { sha256 } from './hashes';
import { NoteFormatError } from './note-format-error';

/** Signature type of a signed-note Ed25519 signature. */
export const ED25519_NOTE_TYPE = 0x01;
/** Signature type of a tlog-cosignature v1 (timestamped Ed25519) cosignature. */
export const COSIGNATURE_V1_TYPE = 0x04;

const ED25519_PUBLIC_KEY_SIZE = 32;
const ED25519_SIGNATURE_SIZE = 64;
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Signs note texts for one key (the bytes returned follow the key ID in the signature line). */
export interface NoteSigner {
  readonly name: string;
  readonly keyId: Buffer;
  readonly type: number;
  sign(text: Buffer): Buffer;
}

/** Verifies the signature lines of one key, identified by its name and key ID. */
export interface NoteVerifier {
  readonly name: string;
  readonly keyId: Buffer;
  readonly type: number;
  /** Checks `signature` (the bytes after the key ID) over the note text. */
  verify(text: Buffer, signature: Buffer): boolean;
}

/** A parsed verifier key. */
export interface Vkey {
  readonly name: string;
  readonly keyId: Buffer;
  readonly type: number;
  readonly publicKey: Buffer;
  /** The vkey text, `<name>+<hex key ID>+<base64(type ‖ public key)>`. */
  readonly text: string;
}

const KEY_NAME = /^[^\s+]+$/u;

/** True when `name` may name a key: non-empty, no Unicode space, no '+'. */
export function isKeyName(name: string): boolean {
  return KEY_NAME.test(name);
}

function assertKeyName(name: string): void {
  if (!isKeyName(name)) throw new NoteFormatError(`key name "${name}" is empty or holds a space or '+'`);
}

/** The key ID: SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]. */
export function noteKeyId(name: string, type: number, publicKey: Uint8Array): Buffer {
  return sha256(Buffer.from(`${name}\n`, 'utf8'), Buffer.from([type]), publicKey).subarray(0, 4);
}

/** The vkey text of a public key. */
export function formatVkey(name: string, type: number, publicKey: Uint8Array): string {
  assertKeyName(name);
  const id = noteKeyId(name, type, publicKey).toString('hex');
  return `${name}+${id}+${encodeBase64(Buffer.concat([Buffer.from([type]), publicKey]))}`;
}

/** Parses a vkey and checks its key ID; only Ed25519 types (0x01, 0x04) are known. */
export function parseVkey(text: string): Vkey {
  const trimmed = text.trim();
  const first = trimmed.indexOf('+');
  const second = trimmed.indexOf('+', first + 1);
  if (first < 0 || second < 0) throw new NoteFormatError('a vkey is <name>+<hex key ID>+<base64 key>');
  const name = trimmed.slice(0, first);
  const hexId = trimmed.slice(first + 1, second);
  assertKeyName(name);
  if (!/^[0-9a-fA-F]{8}$/.test(hexId)) throw new NoteFormatError(`vkey ${name}: key ID is not 8 hex digits`);
  const raw = decodeBase64(trimmed.slice(second + 1), `vkey ${name}: key`);
  const type = raw[0];
  if (type !== ED25519_NOTE_TYPE && type !== COSIGNATURE_V1_TYPE) {
    throw new NoteFormatError(
      `vkey ${name}: unsupported key type 0x${(type ?? 0).toString(16).padStart(2, '0')}`,
    );
  }
  const publicKey = raw.subarray(1);
  if (publicKey.length !== ED25519_PUBLIC_KEY_SIZE) {
    throw new NoteFormatError(`vkey ${name}: an Ed25519 key is ${ED25519_PUBLIC_KEY_SIZE} bytes`);
  }
  const keyId = Buffer.from(hexId, 'hex');
  if (!keyId.equals(noteKeyId(name, type, publicKey))) {
    throw new NoteFormatError(`vkey ${name}: key ID ${hexId} does not match the name and key`);
  }
  return { name, keyId, type, publicKey: Buffer.from(publicKey), text: trimmed };
}

/** The 32-byte raw public key of an Ed25519 key (public or private). */
export function ed25519PublicKeyBytes(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  if (pub.asymmetricKeyType !== 'ed25519') throw new TypeError('not an Ed25519 key');
  return pub.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length);
}

/** An Ed25519 public key from its 32 raw bytes. */
export function ed25519PublicKey(raw: Uint8Array): KeyObject {
  if (raw.length !== ED25519_PUBLIC_KEY_SIZE) throw new TypeError('an Ed25519 public key is 32 bytes');
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
}

/** Ed25519 verification that answers false, rather than throwing, for a signature of the wrong size. */
export function ed25519Verify(key: KeyObject, message: Buffer, signature: Buffer): boolean {
  return signature.length === ED25519_SIGNATURE_SIZE && verify(null, message, key, signature);
}

/** Ed25519 signature. */
export function ed25519Sign(key: KeyObject, message: Buffer): Buffer {
  return sign(null, message, key);
}

/** The log's signer: a signed-note Ed25519 signature (type 0x01) over the note text. */
export class Ed25519NoteSigner implements NoteSigner {
  readonly type = ED25519_NOTE_TYPE;
  readonly keyId: Buffer;
  /** The matching vkey text. */
  readonly vkey: string;

  constructor(
    readonly name: string,
    private readonly privateKey: KeyObject,
  ) {
    const publicKey = ed25519PublicKeyBytes(privateKey);
    this.vkey = formatVkey(name, this.type, publicKey);
    this.keyId = noteKeyId(name, this.type, publicKey);
  }

  sign(text: Buffer): Buffer {
    return ed25519Sign(this.privateKey, text);
  }
}

/** Verifies signed-note Ed25519 signatures (type 0x01) of one key. */
export class Ed25519NoteVerifier implements NoteVerifier {
  readonly type = ED25519_NOTE_TYPE;
  readonly name: string;
  readonly keyId: Buffer;
  private readonly key: KeyObject;

  constructor(vkey: Vkey | string) {
    const parsed = typeof vkey === 'string' ? parseVkey(vkey) : vkey;
    if (parsed.type !== ED25519_NOTE_TYPE) {
      throw new NoteFormatError(`vkey ${parsed.name} is not a signed-note Ed25519 key (type 0x01)`);
    }
    this.name = parsed.name;
    this.keyId = parsed.keyId;
    this.key = ed25519PublicKey(parsed.publicKey);
  }

  verify(text: Buffer, signature: Buffer): boolean {
    return ed25519Verify(this.key, text, signature);
  }
}
