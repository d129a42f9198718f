/**
 * Which subtrees an RFC 9162 proof names, computed from sizes alone (no hash is read here).
 *
 * Every hash in an inclusion or consistency proof (RFC 9162 §2.1.3.1, §2.1.4.1) is the root of a
 * subtree of leaves [start, end) whose start is a multiple of a power of two at least as large as
 * end − start. Such a subtree splits into *perfect* subtrees (2^level leaves starting at a
 * multiple of 2^level), one per set bit of its size, largest first; its hash is their right fold.
 * A perfect subtree's hash never changes once its last leaf is in the tree, so a store persists
 * each one once, keyed by (level, index), and every proof or root is a fold of a few of them.
 */

/** Leaves [start, end) of a subtree, as named by a proof. */
export interface SubtreeRange {
  readonly start: number;
  readonly end: number;
}

/** The perfect subtree of the 2^level leaves starting at leaf index·2^level. */
export interface TreeNodeId {
  readonly level: number;
  readonly index: number;
}

/** Throws a RangeError unless `value` is a safe integer ≥ min. */
export function assertTreeIndex(name: string, value: number, min = 0): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be a safe integer ≥ ${min}, got ${value}`);
  }
}

/** The largest power of two strictly below n (n ≥ 2): RFC 9162's split point k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** The largest power of two ≤ n (n ≥ 1). */
function highestPowerOfTwo(n: number): number {
  let w = 1;
  while (w * 2 <= n) w *= 2;
  return w;
}

/** True when n (≥ 1) is a power of two (exact for every safe integer, unlike Math.log2). */
export function isPowerOfTwo(n: number): boolean {
  return n >= 1 && highestPowerOfTwo(n) === n;
}

/** The subtrees whose hashes make the inclusion proof of leaf `index` in a tree of `size` leaves, leaf side first. */
export function inclusionRanges(index: number, size: number): SubtreeRange[] {
  assertTreeIndex('size', size, 1);
  assertTreeIndex('index', index);
  if (index >= size) throw new RangeError(`index ${index} is not below the tree size ${size}`);
  const siblings: SubtreeRange[] = [];
  let start = 0;
  let end = size;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) {
      siblings.push({ start: start + k, end });
      end = start + k;
    } else {
      siblings.push({ start, end: start + k });
      start += k;
    }
  }
  return siblings.reverse();
}

/**
 * The subtrees whose hashes make the consistency proof from `oldSize` to `newSize` (RFC 9162
 * §2.1.4.1 SUBPROOF), in proof order. Empty when oldSize is 0 or equals newSize.
 */
export function consistencyRanges(oldSize: number, newSize: number): SubtreeRange[] {
  assertTreeIndex('old size', oldSize);
  assertTreeIndex('new size', newSize);
  if (oldSize > newSize) throw new RangeError(`old size ${oldSize} is above the new size ${newSize}`);
  if (oldSize === 0 || oldSize === newSize) return [];
  const outer: SubtreeRange[] = [];
  let start = 0;
  let end = newSize;
  let m = oldSize;
  // `whole`: the old tree is a prefix ending exactly at the left edge, so its own hash is not sent
  let whole = true;
  for (;;) {
    const n = end - start;
    if (m === n) {
      if (!whole) outer.push({ start, end });
      break;
    }
    const k = splitPoint(n);
    if (m <= k) {
      outer.push({ start: start + k, end });
      end = start + k;
    } else {
      outer.push({ start, end: start + k });
      start += k;
      m -= k;
      whole = false;
    }
  }
  return outer.reverse();
}

/** The perfect subtrees that make up `range`, left to right (largest first); their right fold is its hash. */
export function perfectSubtrees(range: SubtreeRange): TreeNodeId[] {
  const { start, end } = range;
  assertTreeIndex('range start', start);
  assertTreeIndex('range end', end, start + 1);
  const nodes: TreeNodeId[] = [];
  let pos = start;
  let width = highestPowerOfTwo(end - start);
  while (pos < end) {
    if (end - pos >= width) {
      if (pos % width !== 0) {
        throw new RangeError(`[${start}, ${end}) is not a subtree of an RFC 9162 tree`);
      }
      nodes.push({ level: Math.log2(width), index: pos / width });
      pos += width;
    }
    width /= 2;
  }
  return nodes;
}

/** The leaves [start, end) that the perfect subtree `node` covers. */
export function rangeOf(node: TreeNodeId): SubtreeRange {
  const width = 2 ** node.level;
  return { start: node.index * width, end: (node.index + 1) * width };
}
