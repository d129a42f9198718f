/**
 * RFC 9162 §2.1 roots, inclusion proofs and consistency proofs, built from the hashes of perfect
 * subtrees that a store reads in one batch (see tree-geometry.ts for why those suffice).
 *
 * A caller that keeps its nodes in a database plans first (`proofPlan`), reads the planned nodes
 * in one query, then folds (`foldPlan`); the async helpers do the three steps with a reader.
 */
import { emptyRoot, isHash, nodeHash } from './hashes';
import {
  consistencyRanges,
  inclusionRanges,
  perfectSubtrees,
  type SubtreeRange,
  type TreeNodeId,
} from './tree-geometry';

/**
 * Reads the hashes of complete perfect subtrees, one per id and in the same order. A store
 * answers from the nodes it persisted when they completed (see compact-range.ts).
 */
export type NodeHashReader = (
  nodes: readonly TreeNodeId[],
) => Promise<readonly Uint8Array[]> | readonly Uint8Array[];

/** What to read for a list of proof ranges: `nodes[offsets[i]..offsets[i+1]]` fold into range i's hash. */
export interface ProofPlan {
  readonly ranges: readonly SubtreeRange[];
  readonly nodes: readonly TreeNodeId[];
  readonly offsets: readonly number[];
}

/** Plans the reads for the hashes of `ranges`. */
export function proofPlan(ranges: readonly SubtreeRange[]): ProofPlan {
  const nodes: TreeNodeId[] = [];
  const offsets = [0];
  for (const range of ranges) {
    nodes.push(...perfectSubtrees(range));
    offsets.push(nodes.length);
  }
  return { ranges, nodes, offsets };
}

/** The right fold of perfect-subtree hashes (left to right): the hash of the subtree they make up. */
export function foldSubtrees(hashes: readonly Uint8Array[]): Buffer {
  if (hashes.length === 0) throw new RangeError('no subtree hash to fold');
  let acc: Buffer = Buffer.from(hashes[hashes.length - 1]);
  for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i], acc);
  return acc;
}

/** The hashes of the plan's ranges, from the hashes read for its nodes (same order as `plan.nodes`). */
export function foldPlan(plan: ProofPlan, nodeHashes: readonly Uint8Array[]): Buffer[] {
  if (nodeHashes.length !== plan.nodes.length) {
    throw new RangeError(`expected ${plan.nodes.length} node hashes, got ${nodeHashes.length}`);
  }
  nodeHashes.forEach((hash, i) => {
    if (!isHash(hash)) {
      const { level, index } = plan.nodes[i];
      throw new RangeError(`node (level ${level}, index ${index}) is not a 32-byte hash`);
    }
  });
  return plan.ranges.map((_, i) => foldSubtrees(nodeHashes.slice(plan.offsets[i], plan.offsets[i + 1])));
}

async function resolve(ranges: readonly SubtreeRange[], read: NodeHashReader): Promise<Buffer[]> {
  const plan = proofPlan(ranges);
  if (plan.nodes.length === 0) return [];
  return foldPlan(plan, await read(plan.nodes));
}

/** The inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1). */
export async function inclusionProof(index: number, size: number, read: NodeHashReader): Promise<Buffer[]> {
  return resolve(inclusionRanges(index, size), read);
}

/** The consistency proof from the tree of `oldSize` leaves to that of `newSize` (RFC 9162 §2.1.4.1). */
export async function consistencyProof(
  oldSize: number,
  newSize: number,
  read: NodeHashReader,
): Promise<Buffer[]> {
  return resolve(consistencyRanges(oldSize, newSize), read);
}

/** The root of the tree of the first `size` leaves (RFC 9162 §2.1.1 MTH). */
export async function treeRoot(size: number, read: NodeHashReader): Promise<Buffer> {
  if (size === 0) return emptyRoot();
  const [root] = await resolve([{ start: 0, end: size }], read);
  return root;
}
