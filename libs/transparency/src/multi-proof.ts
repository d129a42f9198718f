/**
 * Multi-leaf inclusion proofs: that a sorted set of leaves (an auditor's export) is in the tree of
 * `size` leaves whose root a checkpoint states.
 *
 * Walk the RFC 9162 §2.1.1 recursion over [0, size) left to right. A subtree that holds none of
 * the given leaves is not descended into: its hash is one proof hash. A subtree of one leaf is
 * that leaf's hash. The proof is therefore the hashes of the *maximal* subtrees that contain no
 * given leaf, in left-to-right order, and the verifier recomputes the root from the leaves' hashes
 * and those. A complete set (every leaf 0..size−1) needs no hash; k leaves need at most about
 * k·log2(size/k) + 2·log2(size). Right-edge subtrees may be imperfect (e.g. [8, 11)): the
 * planner names them as ranges, and a store folds each from its perfect subtrees (proofPlan).
 *
 * Both sides stream: leaves are pushed in increasing index order and the walk keeps only the
 * path from the root to the current leaf (at most 64 frames), so neither the leaves nor their
 * hashes are kept.
 */
import { emptyRoot, isHash, nodeHash } from './hashes';
import { type NodeHashReader, foldPlan, proofPlan } from './merkle-proofs';
import { assertTreeIndex, splitPoint, type SubtreeRange } from './tree-geometry';

interface Frame<H> {
  readonly start: number;
  readonly end: number;
  /** The left child's value, once the left child is done. */
  left?: { value: H };
}

/** A leaf that cannot be pushed where it was (out of order, duplicated, beyond the tree). */
export class MultiProofLeafError extends RangeError {
  override readonly name = 'MultiProofLeafError';
}

/**
 * The left-to-right walk shared by the planner and the verifier: `gap(range)` is called for each
 * maximal subtree without a pushed leaf, in order, and `combine` joins two children's values.
 */
export class MultiLeafWalk<H> {
  private readonly stack: Frame<H>[];
  private last = -1;
  private result?: { value: H };
  private finished = false;

  constructor(
    readonly size: number,
    private readonly gap: (range: SubtreeRange) => H,
    private readonly combine: (left: H, right: H) => H,
  ) {
    assertTreeIndex('size', size);
    this.stack = size > 0 ? [{ start: 0, end: size }] : [];
  }

  /** Index of the last leaf pushed (−1 before the first). */
  get lastIndex(): number {
    return this.last;
  }

  /** The next leaf, with its value; indexes must increase strictly and stay below `size`. */
  push(index: number, leaf: H): void {
    this.pushWidth(index, leaf, 1);
  }

  /**
   * The next `width` leaves at once by the value of the subtree they make (`width` a power of
   * two, `start` a multiple of it, `start + width` at most `size`: a subtree of the tree). A reader
   * that hashed a run of leaves elsewhere (a worker thread) hands over its aligned subtrees; the
   * walk, the gaps it asks for and the root are those of pushing the leaves one by one.
   */
  pushSubtree(start: number, width: number, value: H): void {
    if (!Number.isSafeInteger(width) || width < 1 || (width & (width - 1)) !== 0 || start % width !== 0) {
      throw new MultiProofLeafError(`[${start}, ${start + width}) is not an aligned subtree`);
    }
    if (start + width > this.size && width > 1) {
      throw new MultiProofLeafError(`[${start}, ${start + width}) is not below the tree size ${this.size}`);
    }
    this.pushWidth(start, value, width);
  }

  private pushWidth(index: number, leaf: H, width: number): void {
    if (!Number.isSafeInteger(index) || index < 0) {
      throw new MultiProofLeafError(`leaf index ${index} is not a non-negative integer`);
    }
    if (index >= this.size) {
      throw new MultiProofLeafError(`leaf index ${index} is not below the tree size ${this.size}`);
    }
    if (index <= this.last) {
      throw new MultiProofLeafError(`leaf index ${index} does not come after leaf index ${this.last}`);
    }
    this.last = index + width - 1;
    this.walk(index, leaf, width);
  }

  /** Closes the walk (the gaps after the last leaf) and returns the root's value; once. */
  finish(): H {
    if (this.size === 0) throw new RangeError('the empty tree has no subtree to walk');
    if (this.finished) throw new Error('the walk is already finished');
    this.finished = true;
    // the walk is already complete when the last leaf pushed was the tree's last
    if (!this.result) this.walk(Number.POSITIVE_INFINITY);
    if (!this.result) throw new Error('the walk did not reach the root');
    return this.result.value;
  }

  /** Walks to the frame [target, target + width), gaps before it included, and delivers `leaf` there. */
  private walk(target: number, leaf?: H, width = 1): void {
    for (;;) {
      const frame = this.stack[this.stack.length - 1];
      if (frame === undefined) return;
      let value: H;
      let consumed = false;
      if (frame.left === undefined && target >= frame.end) {
        value = this.gap({ start: frame.start, end: frame.end });
      } else if (frame.left === undefined && frame.end - frame.start === width) {
        // a fresh frame at or after every consumed leaf, as wide as the value, and target < end:
        // the leaf or subtree itself (pushSubtree's alignment makes it start at target)
        value = leaf as H;
        consumed = true;
      } else {
        const k = splitPoint(frame.end - frame.start);
        this.stack.push(
          frame.left === undefined
            ? { start: frame.start, end: frame.start + k }
            : { start: frame.start + k, end: frame.end },
        );
        continue;
      }
      this.deliver(value);
      if (consumed) return;
    }
  }

  private deliver(value: H): void {
    this.stack.pop();
    for (;;) {
      const parent = this.stack[this.stack.length - 1];
      if (parent === undefined) {
        this.result = { value };
        return;
      }
      if (parent.left === undefined) {
        parent.left = { value };
        return;
      }
      value = this.combine(parent.left.value, value);
      this.stack.pop();
    }
  }
}

/**
 * Plans a multi-leaf proof as leaves are pushed: `ranges` are the maximal subtrees without a
 * pushed leaf, left to right, whose hashes make the proof. `onRange` may stop a plan that grows
 * too large by throwing.
 */
export class MultiProofPlanner {
  readonly ranges: SubtreeRange[] = [];
  private readonly walker: MultiLeafWalk<void>;

  constructor(size: number, onRange?: (count: number) => void) {
    this.walker = new MultiLeafWalk<void>(
      size,
      (range) => {
        this.ranges.push(range);
        onRange?.(this.ranges.length);
      },
      () => undefined,
    );
  }

  push(index: number): void {
    this.walker.push(index, undefined);
  }

  /** The ranges of the whole proof (an empty tree: none). */
  finish(): SubtreeRange[] {
    if (this.walker.size > 0) this.walker.finish();
    return this.ranges;
  }
}

/** The subtrees whose hashes prove leaves `indexes` (strictly increasing) in the tree of `size`. */
export function multiInclusionRanges(size: number, indexes: Iterable<number>): SubtreeRange[] {
  const planner = new MultiProofPlanner(size);
  for (const index of indexes) planner.push(index);
  return planner.finish();
}

/** The multi-leaf proof of `indexes` at `size`, read from a store in one batch. */
export async function multiInclusionProof(
  size: number,
  indexes: Iterable<number>,
  read: NodeHashReader,
): Promise<Buffer[]> {
  const plan = proofPlan(multiInclusionRanges(size, indexes));
  if (plan.nodes.length === 0) return [];
  return foldPlan(plan, await read(plan.nodes));
}

/** Why a multi-leaf proof does not verify (one line). */
export type MultiProofFailure = { readonly ok: false; readonly reason: string };

/**
 * Recomputes a root from leaf hashes pushed in increasing index order and the proof's hashes,
 * without keeping the leaves. Every problem (a leaf out of order or beyond the tree, a proof too
 * short or too long, a hash that is not 32 bytes) is reported by `finish`, never thrown.
 */
export class MultiProofVerifier {
  private readonly walker?: MultiLeafWalk<Buffer>;
  private used = 0;
  private failure?: string;
  leaves = 0;

  constructor(
    readonly size: number,
    private readonly proof: readonly Uint8Array[],
  ) {
    if (!Number.isSafeInteger(size) || size < 0) {
      this.failure = `bad tree size ${size}`;
    } else if (!proof.every(isHash)) {
      this.failure = 'a proof hash is not 32 bytes';
    } else if (size > 0) {
      this.walker = new MultiLeafWalk<Buffer>(
        size,
        () => {
          if (this.used >= this.proof.length) throw new MultiProofLeafError('the proof has too few hashes');
          return Buffer.from(this.proof[this.used++]);
        },
        (l, r) => nodeHash(l, r),
      );
    }
  }

  /** The next leaf: its index and leaf hash (SHA-256(0x00 ‖ bytes)). */
  push(index: number, leafHash: Uint8Array): void {
    if (this.failure !== undefined) return;
    this.leaves++;
    if (!isHash(leafHash)) {
      this.failure = `the leaf hash of index ${index} is not 32 bytes`;
      return;
    }
    if (!this.walker) {
      this.failure = `leaf index ${index} is not below the tree size 0`;
      return;
    }
    try {
      this.walker.push(index, Buffer.from(leafHash));
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      this.failure = e.message;
    }
  }

  /** The recomputed root, or why there is none. */
  root(): { readonly ok: true; readonly root: Buffer } | MultiProofFailure {
    if (this.failure !== undefined) return { ok: false, reason: this.failure };
    let root: Buffer;
    if (!this.walker) {
      root = emptyRoot();
    } else {
      try {
        root = this.walker.finish();
      } catch (e) {
        if (!(e instanceof RangeError)) throw e;
        this.failure = e.message;
        return { ok: false, reason: e.message };
      }
    }
    if (this.used !== this.proof.length) {
      this.failure = `the proof has ${this.proof.length - this.used} hashes too many`;
      return { ok: false, reason: this.failure };
    }
    return { ok: true, root };
  }

  /**
   * The next `width` leaves (a subtree: `width` a power of two, `start` a multiple of it) by the
   * subtree's hash, as its leaves' hashes would give it; failures as for `push` of its first leaf.
   */
  pushSubtree(start: number, width: number, hash: Uint8Array): void {
    if (width === 1) return this.push(start, hash);
    if (this.failure !== undefined) return;
    this.leaves += width;
    if (!isHash(hash)) {
      this.failure = `the hash of the subtree at index ${start} is not 32 bytes`;
      return;
    }
    if (!this.walker) {
      this.failure = `leaf index ${start} is not below the tree size 0`;
      return;
    }
    try {
      this.walker.pushSubtree(start, width, Buffer.from(hash));
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      this.failure = e.message;
    }
  }

  /** Finishes and compares with `expected`: ok, or why not. */
  verify(expected: Uint8Array): { readonly ok: true } | MultiProofFailure {
    const r = this.root();
    if (!r.ok) return r;
    if (!isHash(expected) || Buffer.compare(r.root, expected) !== 0) {
      return {
        ok: false,
        reason: `the leaves and the proof lead to root ${r.root.toString('base64')}, not the checkpoint's`,
      };
    }
    return { ok: true };
  }
}

/** True when leaves (index, leaf hash), in increasing index order, and `proof` give `root` for a tree of `size`. */
export function verifyMultiInclusion(
  size: number,
  leaves: Iterable<{ readonly index: number; readonly hash: Uint8Array }>,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  const v = new MultiProofVerifier(size, proof);
  for (const { index, hash } of leaves) v.push(index, hash);
  return v.verify(root).ok;
}
