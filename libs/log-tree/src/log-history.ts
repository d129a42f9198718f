/**
 * `access-log verify` against the transparency log (issue 12): the roots the entries make, computed
 * in one pass while the chain is walked, compared with the checkpoints others vouched for — the
 * broker's published checkpoint and tree head, what the broker recorded each witness cosigned, what
 * each witness says it cosigned (which nobody with the broker's database can reset) and a checkpoint
 * an auditor saved. The comparison itself (`compareHistory`) is pure.
 */
import {
  addCosignatures,
  appendLeaves,
  CosignatureV1Verifier,
  EMPTY_FRONTIER,
  emptyRoot,
  encodeBase64,
  frontierRoot,
  NoteFormatError,
  parseCheckpoint,
  parseNote,
  parseTlogProof,
  TLOG_PROOF_HEADER,
  verifyNote,
  type Checkpoint,
  type Ed25519NoteVerifier,
  type Frontier,
} from '@broker/transparency';
import type { TrustedWitness } from '@broker/trust';

/** Where an anchor was read. */
export type AnchorSource = 'log_checkpoint' | 'log_tree_head' | 'log_witness_state' | 'witness' | 'file';

/** A size (and, when known, a root) that the log must still hold. */
export interface HistoryAnchor {
  source: AnchorSource;
  /** Which one: `latest published`, `size N`, a witness's name, a file's path. */
  name: string;
  size: number;
  /** Null when only the size is known (a witness state whose checkpoint is gone from the database). */
  root: Buffer | null;
  /** Whose signatures on it verified: the log key's name and witness names. Empty: the database's unsigned word. */
  signedBy: string[];
}

/** What `access-log verify` reports about the tree. */
export type HistoryProblemReason =
  /** At a size an anchor holds, the entries make another root. */
  | 'rewritten'
  /** The log holds fewer entries than an anchor's size. */
  | 'truncated'
  /** Two signed checkpoints of the same size with different roots. */
  | 'forked'
  /** A checkpoint in the database or the file given that the log key did not sign, or with a failing signature. */
  | 'bad-checkpoint'
  /** A witness could not be asked or gave nothing usable (a problem only with --require-witnesses). */
  | 'witness-unavailable';

export interface HistoryProblem {
  reason: HistoryProblemReason;
  /** The anchor(s) it concerns, as `anchorLabel` names them. */
  anchor: string;
  size: number;
  detail: string;
}

/** One anchor as the report lists it. */
export interface CheckedAnchor {
  source: AnchorSource;
  name: string;
  size: number;
  root: string | null;
  signedBy: string[];
  result: 'consistent' | 'rewritten' | 'truncated';
}

/** The comparison's outcome: the anchors, the problems (most serious first). */
export interface HistoryComparison {
  checkedAgainst: CheckedAnchor[];
  problems: HistoryProblem[];
}

/** `witness w1`, `log_checkpoint latest published`, ... */
export function anchorLabel(a: Pick<HistoryAnchor, 'source' | 'name'>): string {
  return a.name === '' ? a.source : `${a.source} ${a.name}`;
}

const SEVERITY: HistoryProblemReason[] = [
  'forked',
  'truncated',
  'rewritten',
  'bad-checkpoint',
  'witness-unavailable',
];

/** Sorts problems most serious first (forks, then truncation, rewriting, bad checkpoints, witnesses). */
export function bySeverity(problems: readonly HistoryProblem[]): HistoryProblem[] {
  return [...problems].sort((a, b) => SEVERITY.indexOf(a.reason) - SEVERITY.indexOf(b.reason));
}

const signers = (a: HistoryAnchor): string =>
  a.signedBy.length ? `signed by ${a.signedBy.join(', ')}` : 'unsigned';
const b64 = (root: Buffer): string => encodeBase64(root);

/**
 * Compares the anchors with the log as walked: `treeSize` entries, `rootAt(size)` the root the
 * entries made at each anchor's size (recorded during the walk). Two signed anchors of one size
 * with different roots are a fork (whatever the log holds now); an anchor above the log's size is a
 * truncation; a root that differs from the entries' is a rewrite.
 */
export function compareHistory(
  anchors: readonly HistoryAnchor[],
  treeSize: number,
  rootAt: (size: number) => Buffer | undefined,
): HistoryComparison {
  const problems: HistoryProblem[] = [];
  const signed = anchors.filter((a) => a.root !== null && a.signedBy.length > 0);
  const reported = new Set<string>();
  for (let i = 0; i < signed.length; i++) {
    for (let j = i + 1; j < signed.length; j++) {
      const [a, b] = [signed[i], signed[j]];
      if (a.size !== b.size || (a.root as Buffer).equals(b.root as Buffer)) continue;
      const key = [b64(a.root as Buffer), b64(b.root as Buffer)].sort().join(' ') + ` ${a.size}`;
      if (reported.has(key)) continue;
      reported.add(key);
      problems.push({
        reason: 'forked',
        anchor: `${anchorLabel(a)} / ${anchorLabel(b)}`,
        size: a.size,
        detail: `${anchorLabel(a)} (${signers(a)}) has root ${b64(a.root as Buffer)} at size ${a.size}, ${anchorLabel(b)} (${signers(b)}) has ${b64(b.root as Buffer)}: two histories were signed`,
      });
    }
  }
  const checkedAgainst = anchors.map((a): CheckedAnchor => {
    let result: CheckedAnchor['result'] = 'consistent';
    if (a.size > treeSize) {
      result = 'truncated';
      problems.push({
        reason: 'truncated',
        anchor: anchorLabel(a),
        size: a.size,
        detail: `${anchorLabel(a)} (${signers(a)}) holds size ${a.size}, but the log holds ${treeSize} entries`,
      });
    } else if (a.root !== null) {
      const ours = rootAt(a.size);
      if (!ours) throw new Error(`no root was recorded at size ${a.size}`);
      if (!ours.equals(a.root)) {
        result = 'rewritten';
        problems.push({
          reason: 'rewritten',
          anchor: anchorLabel(a),
          size: a.size,
          detail: `at size ${a.size} the entries make root ${b64(ours)}, but ${anchorLabel(a)} (${signers(a)}) has ${b64(a.root)}`,
        });
      }
    }
    return {
      source: a.source,
      name: a.name,
      size: a.size,
      root: a.root ? b64(a.root) : null,
      signedBy: [...a.signedBy],
      result,
    };
  });
  return { checkedAgainst, problems: bySeverity(problems) };
}

/**
 * The Merkle roots of the log at chosen sizes, in one pass over the leaf hashes and constant memory
 * (a compact range, at most 64 hashes, plus a root per size asked for).
 */
export class TreeRootRecorder {
  private frontier: Frontier = EMPTY_FRONTIER;
  private readonly wanted: Set<number>;
  private readonly roots = new Map<number, Buffer>();

  constructor(sizes: Iterable<number>) {
    this.wanted = new Set(sizes);
    if (this.wanted.has(0)) this.roots.set(0, emptyRoot());
  }

  get size(): number {
    return this.frontier.size;
  }

  /** The root of the leaves pushed so far. */
  root(): Buffer {
    return frontierRoot(this.frontier);
  }

  /** The root recorded at `size` (a size asked for, once reached), or the current one. */
  rootAt(size: number): Buffer | undefined {
    return size === this.frontier.size ? this.root() : this.roots.get(size);
  }

  /** Appends leaf hashes in log order, stopping at every size asked for to record its root. */
  push(leafHashes: readonly Buffer[]): void {
    let start = 0;
    while (start < leafHashes.length) {
      const size = this.frontier.size;
      let end = leafHashes.length;
      for (const s of this.wanted) if (s > size && s - size < end - start) end = start + (s - size);
      const appended = appendLeaves(this.frontier, leafHashes.slice(start, end));
      this.frontier = appended.frontier;
      if (this.wanted.has(this.frontier.size)) this.roots.set(this.frontier.size, appended.root);
      start = end;
    }
  }
}

/** The keys anchors are verified with. */
export interface AnchorKeys {
  /** The log's note key (type 0x01), when known. */
  log: Ed25519NoteVerifier | null;
  /** The trust file's witnesses. */
  witnesses: readonly TrustedWitness[];
  /** The log's origin (the trust file's brokerId), when known. */
  origin: string | null;
}

/** An anchor made from a note, or why the note cannot be one. */
export type NoteAnchor =
  { ok: true; anchor: HistoryAnchor; checkpoint: Checkpoint } | { ok: false; reason: string };

/**
 * Verifies a checkpoint note before it is used as an anchor: its origin, the log key's signature
 * (when the key is known: without it, no signer is listed) and the trusted witnesses' cosignatures
 * (those that verify are listed; a failing one rejects the note).
 */
export function anchorFromNote(
  source: AnchorSource,
  name: string,
  note: string,
  keys: AnchorKeys,
): NoteAnchor {
  let checkpoint: Checkpoint;
  try {
    checkpoint = parseCheckpoint(parseNote(note).text);
  } catch (e) {
    if (!(e instanceof NoteFormatError)) throw e;
    return { ok: false, reason: `not a checkpoint note: ${e.message}` };
  }
  if (keys.origin !== null && checkpoint.origin !== keys.origin)
    return { ok: false, reason: `its origin is ${checkpoint.origin}, not the log's ${keys.origin}` };
  const signedBy: string[] = [];
  if (keys.log) {
    const v = verifyNote(note, [keys.log]);
    if (!v.ok) return { ok: false, reason: `the log key ${keys.log.name} did not sign it (${v.reason})` };
    signedBy.push(keys.log.name);
  }
  if (keys.witnesses.length > 0) {
    const v = verifyNote(
      note,
      keys.witnesses.map((w) => new CosignatureV1Verifier(w.vkey)),
    );
    if (!v.ok && v.code !== 'NO_KNOWN_SIGNATURE') return { ok: false, reason: v.reason };
    if (v.ok) signedBy.push(...v.verified.map((s) => s.name));
  }
  return {
    ok: true,
    anchor: { source, name, size: checkpoint.size, root: checkpoint.rootHash, signedBy },
    checkpoint,
  };
}

/** A JSON monitor state (`log monitor --state`), a tlog-proof or a checkpoint note: the note it holds. */
export function checkpointNoteOf(text: string): { note: string; vkey?: string } {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    let doc: { note?: unknown; vkey?: unknown };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch {
      throw new NoteFormatError('a JSON file that does not parse');
    }
    if (typeof doc?.note !== 'string') throw new NoteFormatError('a JSON file without a "note" string');
    return { note: doc.note, vkey: typeof doc.vkey === 'string' ? doc.vkey : undefined };
  }
  if (trimmed.startsWith(TLOG_PROOF_HEADER)) return { note: parseTlogProof(text).checkpoint };
  return { note: text };
}

/** What one witness said. */
export type WitnessAnswer = { ok: true; anchor: HistoryAnchor } | { ok: false; reason: string };

/** `GET <url>/checkpoint/<origin>` (the broker's witness extension). */
export const witnessCheckpointUrl = (witness: TrustedWitness, origin: string): string =>
  `${witness.url}/checkpoint/${encodeURIComponent(origin)}`;

/**
 * Asks a witness for the latest checkpoint it cosigned for `origin` and verifies it: its own
 * cosignature must be there and verify, and the log key's signature too when the key is known.
 */
export async function askWitness(
  witness: TrustedWitness,
  keys: AnchorKeys & { origin: string },
  timeoutMs: number,
): Promise<WitnessAnswer> {
  let status: number;
  let body: string;
  try {
    const res = await fetch(witnessCheckpointUrl(witness, keys.origin), {
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = res.status;
    body = await res.text();
  } catch (e) {
    return { ok: false, reason: `unreachable (${(e as Error).message})` };
  }
  if (status === 404) return { ok: false, reason: `has cosigned no checkpoint of ${keys.origin} (404)` };
  if (status !== 200) return { ok: false, reason: `answered HTTP ${status}` };
  const made = anchorFromNote('witness', witness.name, body, { ...keys, witnesses: [witness] });
  if (!made.ok) return { ok: false, reason: `its answer does not verify: ${made.reason}` };
  if (!made.anchor.signedBy.includes(witness.name))
    return { ok: false, reason: 'its answer holds no cosignature of its key' };
  return made;
}

/**
 * What the broker recorded a witness last cosigned (log_witness_state), checked against the
 * broker's checkpoint of that size: an anchor with the witness's verified cosignature; with the
 * size only when that checkpoint is gone or the witness is not in the trust file; a reason when
 * the recorded cosignature does not verify.
 */
export function witnessStateAnchor(
  state: { name: string; size: number; cosignature: string | null },
  checkpointNote: string | null,
  keys: AnchorKeys,
): NoteAnchor | { ok: true; anchor: HistoryAnchor; checkpoint: null } {
  const sizeOnly = {
    ok: true as const,
    anchor: {
      source: 'log_witness_state' as const,
      name: state.name,
      size: state.size,
      root: null,
      signedBy: [],
    },
    checkpoint: null,
  };
  const witness = keys.witnesses.find((w) => w.name === state.name);
  if (checkpointNote === null || !witness || state.cosignature === null) return sizeOnly;
  const merged = addCosignatures(checkpointNote, state.cosignature, [
    new CosignatureV1Verifier(witness.vkey),
  ]);
  if (!merged.ok || !merged.witnesses.includes(witness.name))
    return {
      ok: false,
      reason: `the recorded cosignature of ${witness.name} at size ${state.size} does not verify`,
    };
  return anchorFromNote('log_witness_state', state.name, merged.note, { ...keys, witnesses: [witness] });
}
