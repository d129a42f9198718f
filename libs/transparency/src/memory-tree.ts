/**
 * A Merkle tree held in memory: every perfect subtree's hash, by level. For tests, tools and small
 * logs; a database-backed store does the same with a table of (level, index, hash) rows.
 */
import { appendLeaves, EMPTY_FRONTIER, type Frontier } from './compact-range';
import { leafHash } from './hashes';
import { consistencyProof, inclusionProof, type NodeHashReader, treeRoot } from './merkle-proofs';
import type { TreeNodeId } from './tree-geometry';

/** An append-only in-memory RFC 9162 tree. */
export class InMemoryMerkleTree {
  private readonly levels: Buffer[][] = [];
  private frontier: Frontier = EMPTY_FRONTIER;

  /** Reads persisted perfect-subtree hashes, like a store would. */
  readonly read: NodeHashReader = (nodes: readonly TreeNodeId[]) =>
    nodes.map(({ level, index }) => {
      const hash = this.levels[level]?.[index];
      if (hash === undefined) throw new RangeError(`node (level ${level}, index ${index}) is not complete`);
      return hash;
    });

  /** Number of leaves. */
  get size(): number {
    return this.frontier.size;
  }

  /** Appends leaves given as their bytes (hashed here); returns the new root. */
  appendData(leaves: readonly Uint8Array[]): Buffer {
    return this.appendHashes(leaves.map(leafHash));
  }

  /** Appends leaves given as their hashes; returns the new root. */
  appendHashes(leafHashes: readonly Uint8Array[]): Buffer {
    const { frontier, root, completed } = appendLeaves(this.frontier, leafHashes);
    for (const node of completed) (this.levels[node.level] ??= [])[node.index] = node.hash;
    this.frontier = frontier;
    return root;
  }

  /** The root at `size` (default: now). */
  root(size = this.size): Promise<Buffer> {
    return treeRoot(this.checked(size), this.read);
  }

  /** The inclusion proof of leaf `index` at `size` (default: now). */
  inclusionProof(index: number, size = this.size): Promise<Buffer[]> {
    return inclusionProof(index, this.checked(size), this.read);
  }

  /** The consistency proof from `oldSize` to `newSize` (default: now). */
  consistencyProof(oldSize: number, newSize = this.size): Promise<Buffer[]> {
    return consistencyProof(oldSize, this.checked(newSize), this.read);
  }

  private checked(size: number): number {
    if (size > this.size) throw new RangeError(`size ${size} is above the tree's ${this.size} leaves`);
    return size;
  }
}
