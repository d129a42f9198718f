import { setTimeout as sleep } from 'node:timers/promises';
import type { LogTreeRepository, StoredCheckpoint } from '@broker/log-tree';
import { MultiProofPlanner, encodeBase64, foldPlan, proofPlan, type TreeNodeId } from '@broker/transparency';
import type { TlogAnchor } from './export-format';

/**
 * Most hashes a manifest's multi-leaf proof may hold (about 44 bytes each in the JWS, so at most
 * about 3 MiB). A complete export needs none and one citizen's or member's thousand entries in a
 * ten-million-entry log about 13,000; an export that would need more (a large selection scattered
 * over a large log) says so in the manifest instead of being anchored (docs/audit.md).
 */
export const MAX_TLOG_PROOF_HASHES = 50_000;

/** Node hashes read per query. */
const READ_SLICE = 10_000;

/** A published checkpoint with its cosignatures. */
export type PublishedCheckpoint = StoredCheckpoint & { cosignedNote: string };

/**
 * The latest published (cosigned) checkpoint once its size covers `cut`, polling until `maxWaitMs`
 * has passed; null when none did in time (or the log store is unreadable: the export itself does
 * not depend on the transparency log).
 */
export async function publishedCheckpointCovering(
  tree: LogTreeRepository,
  cut: bigint,
  maxWaitMs: number,
  pollMs = 100,
): Promise<PublishedCheckpoint | null> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const cp = await tree.latestPublished();
    if (cp && cp.cosignedNote !== null && BigInt(cp.size) >= cut)
      return { ...cp, cosignedNote: cp.cosignedNote };
    if (Date.now() + pollMs > deadline) return null;
    await sleep(pollMs);
  }
}

/**
 * Builds a manifest's `tlog` anchor while the export's entries go by in seq order: the checkpoint,
 * and the hashes of the maximal subtrees of its tree that hold no exported entry (planned as
 * entries are pushed, read from the stored nodes in a few queries at the end, as LogProofsService
 * does for single proofs). Keeps only the planned ranges, never the entries.
 */
export class TlogAnchorBuilder {
  private readonly planner: MultiProofPlanner;
  private tooLarge = false;

  constructor(private readonly checkpoint: PublishedCheckpoint) {
    this.planner = new MultiProofPlanner(checkpoint.size);
  }

  /** The next exported entry (seqs increase). */
  push(seq: string): void {
    this.pushIndex(Number(BigInt(seq) - 1n));
  }

  private pushIndex(index: number): void {
    if (this.tooLarge) return;
    this.planner.push(index);
    if (this.planner.ranges.length > MAX_TLOG_PROOF_HASHES) {
      this.tooLarge = true;
      this.planner.ranges.length = 0;
    }
  }

  /**
   * The exported entries as runs of consecutive seqs (ExportSummary.runs), or null when there
   * were too many runs for a proof of at most MAX_TLOG_PROOF_HASHES hashes.
   */
  pushRuns(runs: readonly (readonly [string, string])[] | null): void {
    if (runs === null) {
      this.tooLarge = true;
      this.planner.ranges.length = 0;
      return;
    }
    for (const [first, last] of runs) {
      const end = Number(BigInt(last));
      for (let seq = Number(BigInt(first)); seq <= end && !this.tooLarge; seq++) this.pushIndex(seq - 1);
    }
  }

  /** The anchor: the checkpoint and the proof read from the store, or why there is none. */
  async finish(tree: LogTreeRepository): Promise<TlogAnchor> {
    const ranges = this.tooLarge ? [] : this.planner.finish();
    if (this.tooLarge || ranges.length > MAX_TLOG_PROOF_HASHES) {
      return {
        checkpoint: null,
        reason:
          `the multi-leaf proof of this selection in the tree of size ${this.checkpoint.size} would need ` +
          `more than ${MAX_TLOG_PROOF_HASHES} hashes; export a narrower selection or a complete range`,
      };
    }
    const plan = proofPlan(ranges);
    const hashes: Buffer[] = [];
    for (let i = 0; i < plan.nodes.length; i += READ_SLICE) {
      const ids: TreeNodeId[] = plan.nodes.slice(i, i + READ_SLICE);
      hashes.push(...(await tree.nodes(ids)));
    }
    const proof = plan.nodes.length === 0 ? [] : foldPlan(plan, hashes);
    return {
      checkpoint: this.checkpoint.cosignedNote,
      size: this.checkpoint.size,
      proof: proof.map(encodeBase64),
    };
  }
}
