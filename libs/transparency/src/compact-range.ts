/**
 * The incremental appender: a tree of n leaves is summarised by its *frontier* (a compact range
 * over [0, n)), the hashes of the perfect subtrees that make it up, one per set bit of n, largest
 * first. Appending leaves to a frontier yields the new root and every perfect subtree that the
 * new leaves completed; a store persists those nodes once, keyed by (level, index), and never
 * rewrites them. The frontier of size n is exactly `perfectSubtrees({ start: 0, end: n })`, so a
 * store can rebuild it with one read instead of keeping it.
 */
import { emptyRoot, isHash, nodeHash } from './hashes';
import { foldSubtrees } from './merkle-proofs';
import { assertTreeIndex, perfectSubtrees, type TreeNodeId } from './tree-geometry';

/** The perfect subtrees whose concatenation is the tree of `size` leaves, largest (leftmost) first. */
export interface Frontier {
  readonly size: number;
  readonly hashes: readonly Buffer[];
}

/** A perfect subtree with its hash: what a store persists. */
export interface TreeNode extends TreeNodeId {
  readonly hash: Buffer;
}

/** The result of `appendLeaves`. */
export interface Appended {
  readonly frontier: Frontier;
  /** The root of the tree after the append. */
  readonly root: Buffer;
  /** The perfect subtrees completed by the new leaves (the leaves themselves included, at level 0), in completion order. */
  readonly completed: readonly TreeNode[];
}

/** The frontier of the empty tree. */
export const EMPTY_FRONTIER: Frontier = Object.freeze({
  size: 0,
  hashes: Object.freeze([]) as readonly Buffer[],
});

/** The ids of a frontier's hashes (which perfect subtree each one is). */
export function frontierNodes(size: number): TreeNodeId[] {
  assertTreeIndex('size', size);
  return size === 0 ? [] : perfectSubtrees({ start: 0, end: size });
}

/** Builds a frontier from the hashes a store read for `frontierNodes(size)`; throws when they do not fit. */
export function frontierOf(size: number, hashes: readonly Uint8Array[]): Frontier {
  const expected = frontierNodes(size).length;
  if (hashes.length !== expected || !hashes.every(isHash)) {
    throw new RangeError(`a frontier of size ${size} needs ${expected} hashes of 32 bytes`);
  }
  return { size, hashes: hashes.map((h) => Buffer.from(h)) };
}

/** The root of the tree a frontier summarises. */
export function frontierRoot(frontier: Frontier): Buffer {
  return frontier.size === 0 ? emptyRoot() : foldSubtrees(frontier.hashes);
}

/** Appends leaf hashes (in log order) to a frontier. */
export function appendLeaves(frontier: Frontier, leafHashes: readonly Uint8Array[]): Appended {
  const ids = frontierNodes(frontier.size);
  if (ids.length !== frontier.hashes.length) {
    throw new RangeError(`the frontier of size ${frontier.size} needs ${ids.length} hashes`);
  }
  const stack: TreeNode[] = ids.map((id, i) => ({ ...id, hash: frontier.hashes[i] }));
  const completed: TreeNode[] = [];
  let size = frontier.size;
  for (const leaf of leafHashes) {
    if (!isHash(leaf)) throw new RangeError(`leaf hash ${size} is not 32 bytes`);
    let node: TreeNode = { level: 0, index: size, hash: Buffer.from(leaf) };
    completed.push(node);
    // levels strictly decrease along a frontier: equal levels at the top merge into their parent
    while (stack.length > 0 && stack[stack.length - 1].level === node.level) {
      const left = stack.pop() as TreeNode;
      node = { level: node.level + 1, index: left.index / 2, hash: nodeHash(left.hash, node.hash) };
      completed.push(node);
    }
    stack.push(node);
    size += 1;
  }
  const next: Frontier = { size, hashes: stack.map((n) => n.hash) };
  return { frontier: next, root: frontierRoot(next), completed };
}

/** The root of the tree of these leaf hashes (all in memory; a store uses `appendLeaves` instead). */
export function rootOfLeafHashes(leafHashes: readonly Uint8Array[]): Buffer {
  return appendLeaves(EMPTY_FRONTIER, leafHashes).root;
}
