// @ts-check
// Verifies a C2SP tlog-proof (c2sp.org/tlog-proof@v1) in the browser with WebCrypto only: the
// checkpoint is signed by the log's key (signed-note, Ed25519, type 0x01) and cosigned by at least
// `quorum` trusted witnesses (tlog-cosignature v1, type 0x04); the `extra` line's bytes hash to a
// leaf that the inclusion proof leads to the checkpoint's root (RFC 9162 §2.1.3.2); and that leaf is
// the access-log entry the page shows. The same rules as verifyTlogProof in libs/transparency
// (tlog-proof.ts, signed-note.ts, cosignature.ts, merkle-verify.ts), written small. No dependency:
// it runs in Chromium and in Node (globalThis.crypto).

/**
 * What the page trusts (GET /log/witnesses).
 * @typedef {{ origin: string, logVkey: string, quorum: number, witnesses: { name: string, vkey: string }[] }} LogTrust
 */
/**
 * The entry the page shows; the proof's leaf must be this entry. `id` is the entry's seq.
 * @typedef {{ id: string, occurredAt: string, outcome?: string, memberId?: string, consentJti?: string | null }} ExpectedEntry
 */
/**
 * @typedef {'POLICY' | 'MALFORMED' | 'ORIGIN' | 'BAD_SIGNATURE' | 'LOG_SIGNATURE' | 'QUORUM' | 'NO_LEAF_DATA'
 *   | 'INCLUSION' | 'NOT_THIS_ENTRY' | 'UNSUPPORTED'} ProofRejection
 */
/**
 * The outcome. On success `index` is the leaf index, `size` the checkpoint's tree size and
 * `witnesses` the names of the trusted witnesses whose cosignature verified; `entry` is the leaf
 * decoded as JSON when it is JSON. On failure `code` and `reason` say why (`reason` in English).
 * @typedef {{ ok: boolean, code?: ProofRejection, reason: string, index?: number, size?: number,
 *   witnesses: string[], entry?: Record<string, unknown> }} ProofResult
 */

export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';
const LOG_KEY_TYPE = 0x01;
const COSIGNATURE_TYPE = 0x04;
const MAX_HASHES = 63;
const MAX_SIGNATURES = 64;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DECIMAL = /^(?:0|[1-9][0-9]*)$/;
const SIGNATURE_LINE = /^\u2014 ([^\s+]+) (\S+)$/u;

/** A format problem, reported as MALFORMED (or POLICY for the trusted keys). */
class FormatError extends Error {}

const utf8 = new TextEncoder();

/**
 * Canonical padded base64 only (one spelling per byte string), as libs/transparency.
 * @param {string} text
 * @param {string} what
 * @returns {Uint8Array}
 */
function fromBase64(text, what) {
  if (!BASE64.test(text)) throw new FormatError(`${what} is not valid base64`);
  const binary = atob(text);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  if (toBase64(bytes) !== text) throw new FormatError(`${what} is not canonical base64`);
  return bytes;
}

/** @param {Uint8Array} bytes */
function toBase64(bytes) {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * @param {string} text
 * @param {string} what
 */
function decimal(text, what) {
  if (!DECIMAL.test(text)) throw new FormatError(`${what} is not a decimal without leading zeroes`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new FormatError(`${what} is too large`);
  return value;
}

/** @param {...Uint8Array} parts */
function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 */
function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** @param {...Uint8Array} parts */
async function sha256(...parts) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', concat(...parts)));
}

/**
 * A vkey `<name>+<hex key ID>+<base64(type ‖ Ed25519 public key)>` of the given type.
 * @param {string} text
 * @param {number} type
 * @returns {Promise<{ name: string, keyId: Uint8Array, key: CryptoKey }>}
 */
async function parseVkey(text, type) {
  // the base64 part may hold '+' too: name and key ID end at the first two
  const m = /^([^\s+]+)\+([0-9a-f]{8})\+(\S+)$/.exec(text.trim());
  if (!m) throw new FormatError(`not a vkey: ${text.slice(0, 60)}`);
  const [, name, hexId, b64] = m;
  const raw = fromBase64(b64, `the key of ${name}`);
  if (raw.length !== 33 || raw[0] !== type)
    throw new FormatError(`vkey ${name} is not an Ed25519 key of type 0x0${type}`);
  const keyId = (await sha256(utf8.encode(`${name}\n`), raw)).slice(0, 4);
  if ([...keyId].map((b) => b.toString(16).padStart(2, '0')).join('') !== hexId)
    throw new FormatError(`vkey ${name}: the key ID does not match the key`);
  const key = await crypto.subtle.importKey('raw', raw.slice(1), { name: 'Ed25519' }, false, ['verify']);
  return { name, keyId, key };
}

/**
 * Parses the proof: header, optional extra line, index, hashes, blank line, the signed checkpoint.
 * @param {string} text
 */
function parseProof(text) {
  const lines = text.split('\n');
  if (lines[0] !== TLOG_PROOF_HEADER) throw new FormatError(`the first line is not ${TLOG_PROOF_HEADER}`);
  let i = 1;
  /** @type {Uint8Array | undefined} */
  let extra;
  if (lines[i]?.startsWith('extra ')) extra = fromBase64(lines[i++].slice(6), 'the extra line');
  if (!lines[i]?.startsWith('index ')) throw new FormatError('no index line');
  const index = decimal(lines[i++].slice(6), 'the index');
  /** @type {Uint8Array[]} */
  const hashes = [];
  for (; i < lines.length && lines[i] !== ''; i++) {
    if (hashes.length === MAX_HASHES) throw new FormatError('too many inclusion hashes');
    const hash = fromBase64(lines[i], `inclusion hash ${hashes.length + 1}`);
    if (hash.length !== 32) throw new FormatError(`inclusion hash ${hashes.length + 1} is not 32 bytes`);
    hashes.push(hash);
  }
  if (i >= lines.length) throw new FormatError('no blank line before the checkpoint');
  return { extra, index, hashes, note: parseNote(lines.slice(i + 1).join('\n')) };
}

/**
 * A signed note: its text (up to the last blank line) and its signature lines.
 * @param {string} note
 */
function parseNote(note) {
  if (!note.endsWith('\n')) throw new FormatError('the checkpoint does not end with a newline');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note))
    throw new FormatError('the checkpoint holds a control character');
  const blank = note.lastIndexOf('\n\n');
  if (blank < 0) throw new FormatError('no blank line between the checkpoint and its signatures');
  const text = note.slice(0, blank + 1);
  const lines = note.slice(blank + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw new FormatError('too many signatures');
  const signatures = lines.map((line) => {
    const m = SIGNATURE_LINE.exec(line);
    if (!m) throw new FormatError(`not a signature line: "${line.slice(0, 60)}"`);
    const raw = fromBase64(m[2], `the signature of ${m[1]}`);
    if (raw.length < 5) throw new FormatError(`the signature of ${m[1]} is too short`);
    return { name: m[1], keyId: raw.slice(0, 4), signature: raw.slice(4) };
  });
  const body = text.slice(0, -1).split('\n');
  if (body.length < 3 || body.some((l) => l === '')) throw new FormatError('not a checkpoint');
  const root = fromBase64(body[2], 'the checkpoint root hash');
  if (root.length !== 32) throw new FormatError('the checkpoint root hash is not 32 bytes');
  return { text, signatures, origin: body[0], size: decimal(body[1], 'the checkpoint tree size'), root };
}

/**
 * A cosignature v1: 8-byte big-endian time ‖ Ed25519 over `cosignature/v1\ntime T\n` ‖ note text.
 * @param {CryptoKey} key
 * @param {Uint8Array} text
 * @param {Uint8Array} signature
 */
async function verifyCosignature(key, text, signature) {
  if (signature.length !== 72) return false;
  const time = new DataView(signature.buffer, signature.byteOffset, 8).getBigUint64(0);
  if (time > BigInt(Number.MAX_SAFE_INTEGER)) return false;
  const message = concat(utf8.encode(`cosignature/v1\ntime ${time}\n`), text);
  return crypto.subtle.verify({ name: 'Ed25519' }, key, signature.slice(8), message);
}

/**
 * The root an inclusion proof leads to (RFC 9162 §2.1.3.2), or null when the proof does not fit the
 * index and size. Halving by division: sizes beyond 2^31 stay right.
 * @param {number} index
 * @param {number} size
 * @param {Uint8Array} leaf
 * @param {Uint8Array[]} proof
 */
export async function inclusionRoot(index, size, leaf, proof) {
  if (index >= size) return null;
  const node = Uint8Array.of(1);
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(node, p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      r = await sha256(node, r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/**
 * Whether the leaf is the shown entry: same seq (and leaf index = seq − 1), same time, and the same
 * outcome, member and consent where the page knows them. Else the reason.
 * @param {Record<string, unknown>} leaf
 * @param {number} index
 * @param {ExpectedEntry} e
 * @returns {string | null}
 */
function notThisEntry(leaf, index, e) {
  if (leaf.seq !== e.id) return `the proof is of entry ${String(leaf.seq)}, not of entry ${e.id}`;
  if (String(index + 1) !== e.id) return `entry ${e.id} is not leaf ${index}`;
  if (typeof leaf.occurredAt !== 'string' || Date.parse(leaf.occurredAt) !== Date.parse(e.occurredAt))
    return `the proof's entry happened at ${String(leaf.occurredAt)}, not ${e.occurredAt}`;
  if (e.outcome !== undefined && leaf.outcome !== e.outcome) return 'the outcome differs';
  if (e.memberId !== undefined && leaf.memberId !== e.memberId) return 'the requester differs';
  if (e.consentJti !== undefined && (leaf.consentJti ?? null) !== e.consentJti) return 'the consent differs';
  return null;
}

/** @type {Map<string, Promise<{ name: string, keyId: Uint8Array, key: CryptoKey }>>} */
const keys = new Map();

/**
 * A vkey imported once.
 * @param {string} vkey
 * @param {number} type
 */
function importVkey(vkey, type) {
  const id = `${type}:${vkey}`;
  let key = keys.get(id);
  if (!key) {
    key = parseVkey(vkey, type);
    keys.set(id, key);
    key.catch(() => keys.delete(id));
  }
  return key;
}

/**
 * @param {ProofRejection} code
 * @param {string} reason
 * @param {Partial<ProofResult>} [more]
 * @returns {ProofResult}
 */
const fail = (code, reason, more = {}) => ({ witnesses: [], ...more, ok: false, code, reason });

/**
 * Verifies a tlog-proof against the trusted keys and, when `expected` is given, that its leaf is
 * that access-log entry. Never throws for a bad proof: the result says why.
 * @param {string} text the proof
 * @param {LogTrust} trust
 * @param {ExpectedEntry} [expected]
 * @returns {Promise<ProofResult>}
 */
export async function verifyTlogProof(text, trust, expected) {
  if (!globalThis.crypto?.subtle) return fail('UNSUPPORTED', 'no WebCrypto here');
  let log;
  /** @type {{ name: string, keyId: Uint8Array, key: CryptoKey }[]} */
  let witnesses;
  try {
    log = await importVkey(trust.logVkey, LOG_KEY_TYPE);
    witnesses = await Promise.all(trust.witnesses.map((w) => importVkey(w.vkey, COSIGNATURE_TYPE)));
  } catch (error) {
    if (error instanceof FormatError) return fail('POLICY', error.message);
    return fail('UNSUPPORTED', `this browser cannot check Ed25519 signatures (${String(error)})`);
  }
  if (!Number.isSafeInteger(trust.quorum) || trust.quorum < 0)
    return fail('POLICY', `bad quorum ${trust.quorum}`);
  if (log.name !== trust.origin)
    return fail('POLICY', `the log key is named ${log.name}, not ${trust.origin}`);

  let proof;
  try {
    proof = parseProof(text);
  } catch (error) {
    if (error instanceof FormatError) return fail('MALFORMED', error.message);
    throw error;
  }
  const { note, index } = proof;
  const where = { index, size: note.size };
  if (note.origin !== trust.origin)
    return fail(
      'ORIGIN',
      `the checkpoint's origin "${note.origin}" is not the log's "${trust.origin}"`,
      where,
    );

  // every signature by a known key must verify (name and key ID match); unknown ones are ignored
  const body = utf8.encode(note.text);
  let logSigned = false;
  /** @type {Set<string>} */
  const cosigners = new Set();
  for (const sig of note.signatures) {
    const isLog = sig.name === log.name && equal(sig.keyId, log.keyId);
    const witness = witnesses.find((w) => w.name === sig.name && equal(sig.keyId, w.keyId));
    if (!isLog && !witness) continue;
    const ok = isLog
      ? await crypto.subtle.verify({ name: 'Ed25519' }, log.key, sig.signature, body)
      : await verifyCosignature(/** @type {CryptoKey} */ (witness?.key), body, sig.signature);
    if (!ok) return fail('BAD_SIGNATURE', `the signature of ${sig.name} does not verify`, where);
    if (isLog) logSigned = true;
    else cosigners.add(sig.name);
  }
  if (!logSigned)
    return fail('LOG_SIGNATURE', `the checkpoint is not signed by the log key ${log.name}`, where);
  if (cosigners.size < trust.quorum)
    return fail(
      'QUORUM',
      `cosigned by ${cosigners.size} trusted witness(es), the quorum is ${trust.quorum}`,
      where,
    );

  if (!proof.extra) return fail('NO_LEAF_DATA', 'no leaf data: the proof has no extra line', where);
  const leaf = await sha256(Uint8Array.of(0), proof.extra);
  const root = await inclusionRoot(index, note.size, leaf, proof.hashes);
  if (!root || !equal(root, note.root))
    return fail(
      'INCLUSION',
      `the inclusion proof of leaf ${index} does not lead to the root of the tree of size ${note.size}`,
      where,
    );

  /** @type {Record<string, unknown> | undefined} */
  let entry;
  try {
    const parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(proof.extra));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) entry = parsed;
  } catch {
    // not JSON: fine for a tlog-proof, but then it cannot be an access-log entry
  }
  if (expected) {
    const mismatch = entry ? notThisEntry(entry, index, expected) : 'the leaf is not an access-log entry';
    if (mismatch) return fail('NOT_THIS_ENTRY', mismatch, { ...where, ...(entry ? { entry } : {}) });
  }
  return { ok: true, reason: '', ...where, witnesses: [...cosigners], ...(entry ? { entry } : {}) };
}
