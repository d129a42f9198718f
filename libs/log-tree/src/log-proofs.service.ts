import { canonicalDocument, type AccessLogRepository } from '@broker/access-log';
import { BrokerError, ErrorCode } from '@broker/errors';
import { consistencyProof, formatTlogProof, inclusionProof } from '@broker/transparency';
import type { LogTreeRepository, StoredCheckpoint } from './log-tree.repository';

/** The log's delays and sizes as any gateway sees them in the database (readiness, metrics). */
export interface LogState {
  /** Entries in the access log (its head seq). */
  entries: number;
  integratedSize: number;
  publishedSize: number;
  /** Age of the oldest entry not yet in the tree (0 when none). */
  integrationDelayMs: number;
  /** Age of the oldest entry not yet covered by a published checkpoint (0 when none). */
  publicationDelayMs: number;
  /** Age of the latest published checkpoint (since it was signed); null before the first one. */
  checkpointAgeMs: number | null;
}

function sizeParam(name: string, raw: string | undefined): number {
  if (raw === undefined || !/^(0|[1-9][0-9]{0,15})$/.test(raw))
    throw new BrokerError(ErrorCode.BAD_REQUEST, `${name} is a tree size or index (a decimal integer).`);
  return Number(raw);
}

/**
 * What the gateway's public log endpoints answer: the latest published checkpoint and proofs
 * against published sizes only, computed from the stored perfect-subtree nodes (one read per proof).
 */
export class LogProofsService {
  constructor(
    private readonly tree: LogTreeRepository,
    private readonly entries: AccessLogRepository,
  ) {}

  /** The latest published checkpoint, with its cosignatures; LOG_NOT_PUBLISHED when there is none yet. */
  async publishedCheckpoint(): Promise<StoredCheckpoint & { cosignedNote: string }> {
    const cp = await this.tree.latestPublished();
    if (!cp || cp.cosignedNote === null)
      throw new BrokerError(
        ErrorCode.LOG_NOT_PUBLISHED,
        'No checkpoint of the transparency log is published yet.',
      );
    return { ...cp, cosignedNote: cp.cosignedNote };
  }

  /** The consistency proof between two sizes, 0 < from <= to <= the published size (query strings as given). */
  async consistency(fromRaw: string | undefined, toRaw: string | undefined): Promise<Buffer[]> {
    const from = sizeParam('from', fromRaw);
    const to = sizeParam('to', toRaw);
    const published = (await this.publishedCheckpoint()).size;
    if (from < 1 || from > to || to > published)
      throw new BrokerError(
        ErrorCode.BAD_REQUEST,
        `from and to must satisfy 0 < from <= to <= ${published} (the published size).`,
      );
    return consistencyProof(from, to, (ids) => this.tree.nodes(ids));
  }

  /** The inclusion proof of leaf `index` in the tree of `size`, 0 <= index < size <= the published size. */
  async inclusion(
    indexRaw: string | undefined,
    sizeRaw: string | undefined,
  ): Promise<{ leafHash: Buffer; hashes: Buffer[] }> {
    const index = sizeParam('index', indexRaw);
    const size = sizeParam('size', sizeRaw);
    const published = (await this.publishedCheckpoint()).size;
    if (index >= size || size > published)
      throw new BrokerError(
        ErrorCode.BAD_REQUEST,
        `index and size must satisfy 0 <= index < size <= ${published} (the published size).`,
      );
    const [leafHash] = await this.tree.nodes([{ level: 0, index }]);
    return { leafHash, hashes: await inclusionProof(index, size, (ids) => this.tree.nodes(ids)) };
  }

  /**
   * For each entry `seq`, a C2SP tlog-proof (c2sp.org/tlog-proof@v1) of its inclusion in the
   * latest published checkpoint, with the entry's leaf bytes (its canonical document) on the
   * `extra` line so that the proof stands alone; null for an entry not yet covered (or when no
   * checkpoint is published yet). For the citizen's own entries: the caller has checked whose they are.
   */
  async entryProofs(seqs: readonly string[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>(seqs.map((s) => [s, null]));
    const cp = await this.tree.latestPublished();
    if (!cp || cp.cosignedNote === null || seqs.length === 0) return out;
    const covered = seqs.filter((s) => BigInt(s) >= 1n && BigInt(s) <= BigInt(cp.size));
    for (const entry of await this.entries.findBySeqs(covered)) {
      const index = Number(BigInt(entry.seq) - 1n);
      const hashes = await inclusionProof(index, cp.size, (ids) => this.tree.nodes(ids));
      out.set(
        entry.seq,
        formatTlogProof({
          extra: Buffer.from(canonicalDocument(entry), 'utf8'),
          index,
          hashes,
          checkpoint: cp.cosignedNote,
        }),
      );
    }
    return out;
  }

  /** Sizes and delays (a few indexed reads). */
  async state(now = Date.now()): Promise<LogState> {
    const [head, tree, published] = await Promise.all([
      this.entries.head(),
      this.tree.head(),
      this.tree.latestPublished(),
    ]);
    const entries = Number(head.seq);
    const publishedSize = published?.size ?? 0;
    const ageOf = async (size: number): Promise<number> => {
      if (size >= entries) return 0;
      const at = await this.entries.occurredAtOf(BigInt(size + 1));
      return at ? Math.max(0, now - at.getTime()) : 0;
    };
    const [integrationDelayMs, publicationDelayMs] = await Promise.all([
      ageOf(tree.size),
      ageOf(publishedSize),
    ]);
    const checkpointAgeMs = published ? Math.max(0, now - published.createdAt.getTime()) : null;
    return {
      entries,
      integratedSize: tree.size,
      publishedSize,
      integrationDelayMs,
      publicationDelayMs,
      checkpointAgeMs,
    };
  }
}
