/**
 * RFC 9162 §2.1 written as the RFC states it, recursively over an array of leaves: slow and
 * obviously right, the reference that the property tests hold the store-friendly code to. Not
 * exported from the lib's index.
 */
import { emptyRoot, leafHash, nodeHash } from './hashes';
import { splitPoint } from './tree-geometry';

/** MTH(D[n]). */
export function referenceRoot(leaves: readonly Uint8Array[]): Buffer {
  if (leaves.length === 0) return emptyRoot();
  if (leaves.length === 1) return leafHash(leaves[0]);
  const k = splitPoint(leaves.length);
  return nodeHash(referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

/** PATH(m, D[n]). */
export function referencePath(m: number, leaves: readonly Uint8Array[]): Buffer[] {
  if (leaves.length <= 1) return [];
  const k = splitPoint(leaves.length);
  return m < k
    ? [...referencePath(m, leaves.slice(0, k)), referenceRoot(leaves.slice(k))]
    : [...referencePath(m - k, leaves.slice(k)), referenceRoot(leaves.slice(0, k))];
}

function subproof(m: number, leaves: readonly Uint8Array[], whole: boolean): Buffer[] {
  if (m === leaves.length) return whole ? [] : [referenceRoot(leaves)];
  const k = splitPoint(leaves.length);
  return m <= k
    ? [...subproof(m, leaves.slice(0, k), whole), referenceRoot(leaves.slice(k))]
    : [...subproof(m - k, leaves.slice(k), false), referenceRoot(leaves.slice(0, k))];
}

/** PROOF(m, D[n]) for 0 < m < n; empty otherwise. */
export function referenceConsistency(m: number, leaves: readonly Uint8Array[]): Buffer[] {
  return m === 0 || m >= leaves.length ? [] : subproof(m, leaves, true);
}
