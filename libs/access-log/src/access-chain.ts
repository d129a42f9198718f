import { createHash, randomBytes } from 'node:crypto';
import type { AccessEntry, NewAccessEntry } from './access-entry';

/** prevHash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);
/** Version of the canonical form below; part of every hashed document. */
export const CANONICAL_VERSION = 1;

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/**
 * Canonical JSON (the RFC 8785 subset we need): object keys sorted by UTF-16 code units,
 * no whitespace, strings escaped as JSON.stringify does; only integers as numbers.
 */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new TypeError('only safe integers are canonical numbers');
    return String(value);
  }
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
}

/** The document whose SHA-256 is an entry's hash (documented in docs/access-log.md). */
export function canonicalDocument(e: NewAccessEntry & { seq: string; prevHash: string }): string {
  return canonicalJson(canonicalObject(e));
}

/**
 * The hashed fields of an entry as one object (also the NDJSON export line, minus `hash`).
 * `auditFilter` is present only on auditor actions, `itemSources` and `itemsFailed` only when
 * non-empty, `salt` only on entries written since the transparency log, so entries without them
 * hash as before.
 */
export function canonicalObject(e: NewAccessEntry & { seq: string; prevHash: string }): {
  [k: string]: Json;
} {
  const doc: { [k: string]: Json } = {
    v: CANONICAL_VERSION,
    seq: e.seq,
    occurredAt: e.occurredAt.toISOString(),
    channel: e.channel,
    memberId: e.memberId,
    purpose: e.purpose,
    consentIssuer: e.consentIssuer,
    consentJti: e.consentJti,
    subject: e.subject,
    itemsRequested: [...e.itemsRequested],
    itemsDisclosed: [...e.itemsDisclosed],
    outcome: e.outcome,
    reasonCode: e.reasonCode,
    source: e.source,
    correlationId: e.correlationId,
    jobId: e.jobId,
    prevHash: e.prevHash,
  };
  if (e.auditFilter != null) doc.auditFilter = e.auditFilter;
  // present only when non-empty: entries from before several sources hash as they always did
  if (e.itemSources?.length) doc.itemSources = [...e.itemSources];
  if (e.itemsFailed?.length) doc.itemsFailed = [...e.itemsFailed];
  // present since the transparency log: older entries hash (and make leaves) as they always did
  if (e.salt != null) doc.salt = e.salt;
  return doc;
}

/** Salts drawn per call to the CSPRNG: one draw of 4 KiB instead of one per entry (~14 µs each under load). */
const SALT_BYTES = 16;
const SALT_POOL_BYTES = 256 * SALT_BYTES;
let saltPool = Buffer.alloc(0);
let saltOffset = 0;

/**
 * A fresh per-entry salt: 16 random bytes, base64url (see NewAccessEntry.salt). The bytes come
 * from the same CSPRNG as randomBytes(16), drawn 4 KiB at a time; each 16 bytes are used once
 * (encoded to a string at once, the buffer never handed out) and the pool is replaced, not
 * reused, when spent.
 */
export function newSalt(): string {
  if (saltOffset + SALT_BYTES > saltPool.length) {
    saltPool = randomBytes(SALT_POOL_BYTES);
    saltOffset = 0;
  }
  const salt = saltPool.toString('base64url', saltOffset, saltOffset + SALT_BYTES);
  saltOffset += SALT_BYTES;
  return salt;
}

/**
 * The bytes of an entry's leaf in the transparency log (docs/adr/0010): its canonical document,
 * UTF-8; leaf hash = SHA-256(0x00 ‖ these bytes).
 */
export function leafBytes(e: NewAccessEntry & { seq: string; prevHash: string }): Buffer {
  return Buffer.from(canonicalDocument(e), 'utf8');
}

/** SHA-256 (hex) of an entry's canonical document. */
export function entryHash(e: NewAccessEntry & { seq: string; prevHash: string }): string {
  return createHash('sha256').update(canonicalDocument(e), 'utf8').digest('hex');
}

/**
 * An entry whose canonical document is written except for its place (`seq`, `prevHash`): the
 * three runs of sorted keys around those two. Made outside the chain head's lock, so that
 * sealing under it is a concatenation and one SHA-256 per entry (docs/adr/0010).
 */
export interface PreparedEntry {
  entry: NewAccessEntry;
  /** The canonical `"key":value` pairs before "prevHash", between it and "seq", after "seq" (each may be empty). */
  parts: readonly [string, string, string];
}

/** Writes `e`'s canonical document but for its seq and prevHash (see PreparedEntry). */
export function prepareEntry(e: NewAccessEntry): PreparedEntry {
  const doc = canonicalObject({ ...e, seq: '', prevHash: '' });
  const runs: [string[], string[], string[]] = [[], [], []];
  // the order of canonicalJson: keys sorted by UTF-16 code units, as < compares strings
  for (const k of Object.keys(doc).sort()) {
    if (k === 'prevHash' || k === 'seq') continue;
    runs[k < 'prevHash' ? 0 : k < 'seq' ? 1 : 2].push(`${JSON.stringify(k)}:${canonicalJson(doc[k])}`);
  }
  return { entry: e, parts: [runs[0].join(','), runs[1].join(','), runs[2].join(',')] };
}

/** The canonical document of a prepared entry at `seq` after `prevHash`: canonicalDocument's text. */
export function preparedDocument(p: PreparedEntry, seq: string, prevHash: string): string {
  const [a, b, c] = p.parts;
  const at = `"prevHash":${JSON.stringify(prevHash)},${b ? `${b},` : ''}"seq":${JSON.stringify(seq)}`;
  return `{${a ? `${a},` : ''}${at}${c ? `,${c}` : ''}}`;
}

/** Gives prepared entries their place after (`seq`, `hash`): consecutive seqs, each linked to the previous hash. */
export function sealPrepared(
  entries: readonly PreparedEntry[],
  head: { seq: bigint; hash: string },
): AccessEntry[] {
  let seq = head.seq;
  let prevHash = head.hash;
  return entries.map((p) => {
    seq += 1n;
    const s = seq.toString();
    const hash = createHash('sha256')
      .update(preparedDocument(p, s, prevHash), 'utf8')
      .digest('hex');
    const sealed: AccessEntry = { ...p.entry, seq: s, prevHash, hash };
    prevHash = hash;
    return sealed;
  });
}

/** Gives entries their place after (`seq`, `hash`): consecutive seqs, each linked to the previous hash. */
export function sealEntries(
  entries: readonly NewAccessEntry[],
  head: { seq: bigint; hash: string },
): AccessEntry[] {
  return sealPrepared(entries.map(prepareEntry), head);
}

/** Where a chain walk found its first problem. */
export interface ChainBreak {
  seq: string;
  reason: 'hash-mismatch' | 'link-mismatch' | 'sequence-gap' | 'head-mismatch';
}

/**
 * Incremental chain checker: feed entries in seq order; it remembers the first break.
 * `firstBroken` names the first seq whose content or position cannot be trusted.
 */
export class ChainWalker {
  private expectedSeq = 1n;
  private prevHash = GENESIS_HASH;
  private count = 0;
  firstBreak: ChainBreak | null = null;

  /** Checks the next entry in seq order. */
  push(e: AccessEntry): void {
    this.count++;
    if (this.firstBreak) return;
    const seq = BigInt(e.seq);
    if (seq !== this.expectedSeq) {
      this.firstBreak = { seq: this.expectedSeq.toString(), reason: 'sequence-gap' };
    } else if (e.prevHash !== this.prevHash) {
      this.firstBreak = { seq: e.seq, reason: 'link-mismatch' };
    } else if (entryHash(e) !== e.hash) {
      this.firstBreak = { seq: e.seq, reason: 'hash-mismatch' };
    }
    this.expectedSeq = seq + 1n;
    this.prevHash = e.hash;
  }

  /** Compares the end of the walk with the recorded head (catches a deleted or added tail). */
  finish(head: { seq: bigint; hash: string }): void {
    if (this.firstBreak) return;
    const last = this.expectedSeq - 1n;
    if (last !== head.seq || this.prevHash !== head.hash) {
      const at = last < head.seq ? last + 1n : last > head.seq ? head.seq + 1n : last;
      this.firstBreak = { seq: at.toString(), reason: 'head-mismatch' };
    }
  }

  get entries(): number {
    return this.count;
  }

  get lastHash(): string {
    return this.prevHash;
  }
}
