/**
 * Transparency log proofs (https://c2sp.org/tlog-proof): `c2sp.org/tlog-proof@v1`, an optional
 * `extra <base64>` line (here: the entry's leaf bytes, so the proof is self-contained), `index
 * <n>`, the inclusion proof hashes (one base64 hash per line, leaf side first), a blank line, and
 * the cosigned checkpoint verbatim. Verification is offline, against a policy of trusted keys.
 */
import { decodeBase64, decodeDecimal, encodeBase64 } from './base64';
import { type Checkpoint, parseCheckpoint } from './checkpoint';
import { CosignatureV1Verifier } from './cosignature';
import { HASH_SIZE, leafHash } from './hashes';
import { verifyInclusion } from './merkle-verify';
import { NoteFormatError } from './note-format-error';
import { Ed25519NoteVerifier, type NoteVerifier } from './note-keys';
import { parseNote, verifyNote } from './signed-note';

/** The first line of a tlog-proof. */
export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';
/** File extension for proofs, as the spec recommends. */
export const TLOG_PROOF_EXTENSION = '.tlog-proof';
/** A tree of at most 2^63 leaves needs at most 63 inclusion hashes. */
const MAX_PROOF_HASHES = 63;

/** A parsed tlog-proof. */
export interface TlogProof {
  /** Opaque extra data; unauthenticated until its leaf hash is proved included. */
  readonly extra?: Buffer;
  readonly index: number;
  readonly hashes: readonly Buffer[];
  /** The signed checkpoint note, verbatim. */
  readonly checkpoint: string;
}

/** The proof's text. */
export function formatTlogProof(proof: TlogProof): string {
  const { extra, index, hashes, checkpoint } = proof;
  if (!Number.isSafeInteger(index) || index < 0) throw new NoteFormatError(`bad leaf index ${index}`);
  if (hashes.some((h) => h.length !== HASH_SIZE)) throw new NoteFormatError('a proof hash is not 32 bytes');
  parseNote(checkpoint);
  const head = [TLOG_PROOF_HEADER, ...(extra === undefined ? [] : [`extra ${encodeBase64(extra)}`])];
  return [...head, `index ${index}`, ...hashes.map(encodeBase64), '', checkpoint].join('\n');
}

/** Parses a tlog-proof (signatures and inclusion are checked by `verifyTlogProof`). */
export function parseTlogProof(text: string): TlogProof {
  const lines = text.split('\n');
  if (lines[0] !== TLOG_PROOF_HEADER) throw new NoteFormatError(`the first line is not ${TLOG_PROOF_HEADER}`);
  let i = 1;
  let extra: Buffer | undefined;
  if (lines[i]?.startsWith('extra ')) {
    extra = decodeBase64(lines[i].slice('extra '.length), 'the extra line');
    i += 1;
  }
  if (!lines[i]?.startsWith('index ')) throw new NoteFormatError('no index line');
  const index = decodeDecimal(lines[i].slice('index '.length), 'the index');
  i += 1;
  const hashes: Buffer[] = [];
  for (; i < lines.length && lines[i] !== ''; i++) {
    if (hashes.length === MAX_PROOF_HASHES) throw new NoteFormatError('too many inclusion hashes');
    const hash = decodeBase64(lines[i], `inclusion hash ${hashes.length + 1}`);
    if (hash.length !== HASH_SIZE)
      throw new NoteFormatError(`inclusion hash ${hashes.length + 1} is not 32 bytes`);
    hashes.push(hash);
  }
  if (i >= lines.length) throw new NoteFormatError('no blank line before the checkpoint');
  const checkpoint = lines.slice(i + 1).join('\n');
  parseNote(checkpoint);
  return { ...(extra === undefined ? {} : { extra }), index, hashes, checkpoint };
}

/** Whom a proof must satisfy: the log's key, the trusted witnesses and how many of them must have cosigned. */
export interface TlogProofPolicy {
  /** The log's vkey (type 0x01) or verifier. Its name must be the checkpoint's origin unless `origin` says otherwise. */
  readonly log: string | NoteVerifier;
  /** Witness vkeys (type 0x04) or verifiers. */
  readonly witnesses: readonly (string | NoteVerifier)[];
  /** Distinct trusted witnesses whose cosignature must verify. */
  readonly quorum: number;
  readonly origin?: string;
}

/** Why a proof was rejected. */
export type TlogProofRejection =
  | 'POLICY'
  | 'MALFORMED'
  | 'ORIGIN'
  | 'BAD_SIGNATURE'
  | 'LOG_SIGNATURE'
  | 'QUORUM'
  | 'NO_LEAF_DATA'
  | 'INCLUSION';

/** The outcome of `verifyTlogProof`. */
export type TlogProofVerification =
  | {
      readonly ok: true;
      readonly checkpoint: Checkpoint;
      readonly index: number;
      readonly leafHash: Buffer;
      /** Names of the trusted witnesses whose cosignature verified. */
      readonly witnesses: readonly string[];
      readonly extra?: Buffer;
    }
  | { readonly ok: false; readonly code: TlogProofRejection; readonly reason: string };

const reject = (
  code: TlogProofRejection,
  reason: string,
): { readonly ok: false; readonly code: TlogProofRejection; readonly reason: string } => ({
  ok: false,
  code,
  reason,
});

/** The outcome of `verifyCheckpointNote`. */
export type CheckpointVerification =
  | {
      readonly ok: true;
      readonly checkpoint: Checkpoint;
      /** Names of the trusted witnesses whose cosignature verified. */
      readonly witnesses: readonly string[];
    }
  | { readonly ok: false; readonly code: TlogProofRejection; readonly reason: string };

/**
 * Verifies a cosigned checkpoint note against a policy: signed by the log (whose key name is the
 * origin unless `origin` says otherwise), cosigned by at least `quorum` distinct trusted witnesses,
 * and no known key's signature failing. Codes as for `verifyTlogProof` (no NO_LEAF_DATA, INCLUSION).
 */
export function verifyCheckpointNote(note: string, policy: TlogProofPolicy): CheckpointVerification {
  let log: NoteVerifier;
  let witnesses: NoteVerifier[];
  try {
    log = typeof policy.log === 'string' ? new Ed25519NoteVerifier(policy.log) : policy.log;
    witnesses = policy.witnesses.map((w) => (typeof w === 'string' ? new CosignatureV1Verifier(w) : w));
  } catch (error) {
    if (!(error instanceof NoteFormatError)) throw error;
    return reject('POLICY', error.message);
  }
  if (!Number.isSafeInteger(policy.quorum) || policy.quorum < 0) {
    return reject('POLICY', `bad quorum ${policy.quorum}`);
  }
  let checkpoint: Checkpoint;
  try {
    checkpoint = parseCheckpoint(parseNote(note).text);
  } catch (error) {
    if (!(error instanceof NoteFormatError)) throw error;
    return reject('MALFORMED', error.message);
  }
  const origin = policy.origin ?? log.name;
  if (checkpoint.origin !== origin) {
    return reject('ORIGIN', `the checkpoint's origin "${checkpoint.origin}" is not the log's "${origin}"`);
  }
  const verification = verifyNote(note, [log, ...witnesses]);
  if (!verification.ok && verification.code !== 'NO_KNOWN_SIGNATURE') {
    return reject('BAD_SIGNATURE', verification.reason);
  }
  const verified = verification.ok ? verification.verified : [];
  if (!verified.some((v) => v.verifier === log)) {
    return reject('LOG_SIGNATURE', `the checkpoint is not signed by the log key ${log.name}`);
  }
  const cosigners = new Set(
    verified.filter((v) => v.verifier !== log).map((v) => `${v.name}+${v.keyId.toString('hex')}`),
  );
  if (cosigners.size < policy.quorum) {
    return reject(
      'QUORUM',
      `cosigned by ${cosigners.size} trusted witness${cosigners.size === 1 ? '' : 'es'}, the quorum is ${policy.quorum}`,
    );
  }
  return { ok: true, checkpoint, witnesses: verified.filter((v) => v.verifier !== log).map((v) => v.name) };
}

/**
 * Verifies a proof offline: the checkpoint is signed by the log, cosigned by at least `quorum`
 * trusted witnesses (a failing signature from a known key rejects it), and the leaf (`leafData`,
 * or the extra line's bytes) is included at the index in the checkpoint's tree.
 */
export function verifyTlogProof(
  text: string,
  policy: TlogProofPolicy,
  leafData?: Uint8Array,
): TlogProofVerification {
  let proof: TlogProof;
  try {
    proof = parseTlogProof(text);
  } catch (error) {
    if (!(error instanceof NoteFormatError)) throw error;
    // a policy problem is reported first, as before
    const policyCheck = verifyCheckpointNote('', policy);
    if (!policyCheck.ok && policyCheck.code === 'POLICY') return policyCheck;
    return reject('MALFORMED', error.message);
  }
  const cp = verifyCheckpointNote(proof.checkpoint, policy);
  if (!cp.ok) return cp;
  const { checkpoint } = cp;
  const data = leafData ?? proof.extra;
  if (data === undefined) return reject('NO_LEAF_DATA', 'no leaf data: the proof has no extra line');
  const hash = leafHash(data);
  if (!verifyInclusion(proof.index, checkpoint.size, hash, proof.hashes, checkpoint.rootHash)) {
    return reject(
      'INCLUSION',
      `the inclusion proof of leaf ${proof.index} does not lead to the root of the tree of size ${checkpoint.size}`,
    );
  }
  return {
    ok: true,
    checkpoint,
    index: proof.index,
    leafHash: hash,
    witnesses: cp.witnesses,
    ...(proof.extra === undefined ? {} : { extra: proof.extra }),
  };
}
