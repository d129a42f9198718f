/**
 * RFC 9162 proof verification: §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), implemented from
 * the RFC's prose. Sizes are JavaScript numbers: halving uses division, not 32-bit shifts, so
 * trees up to 2^53 leaves are handled.
 */
import { isHash, nodeHash } from './hashes';
import { isPowerOfTwo } from './tree-geometry';

const isOdd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);
const sameHash = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;
const validSize = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

/**
 * The root that `proof` leads to from `leafHash` as leaf `index` of a tree of `size` leaves
 * (RFC 9162 §2.1.3.2), or null when the proof does not fit that index and size. A verifier compares
 * it with the checkpoint's root; a tool can also use it to build a checkpoint over a synthetic path.
 */
export function inclusionRoot(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
): Uint8Array | null {
  if (!validSize(index) || !validSize(size) || index >= size) return null;
  if (!isHash(leafHash) || !proof.every(isHash)) return null;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leafHash;
  for (const p of proof) {
    if (sn === 0) return null;
    if (isOdd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : null;
}

/** True when `proof` shows that `leafHash` is leaf `index` of the tree of `size` leaves whose root is `root`. */
export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isHash(root)) return false;
  const computed = inclusionRoot(index, size, leafHash, proof);
  return computed !== null && sameHash(computed, root);
}

/**
 * True when `proof` shows that the tree of `oldSize` leaves with root `oldRoot` is a prefix of
 * the tree of `newSize` leaves with root `newRoot`. Equal sizes need an empty proof and equal
 * roots; an empty old tree needs an empty proof (every tree extends it).
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!validSize(oldSize) || !validSize(newSize) || oldSize > newSize) return false;
  if (!isHash(oldRoot) || !isHash(newRoot) || !proof.every(isHash)) return false;
  if (oldSize === newSize) return proof.length === 0 && sameHash(oldRoot, newRoot);
  if (oldSize === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  // a power of two: the old root is itself a node of the new tree, and the proof leaves it out
  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : [...proof];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Uint8Array = path[0];
  let sr: Uint8Array = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!isOdd(fn)) {
        while (!isOdd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sameHash(fr, oldRoot) && sameHash(sr, newRoot) && sn === 0;
}
