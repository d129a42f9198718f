/**
 * RFC 9162 §2.1.1 hashing with SHA-256: a leaf is hashed with a 0x00 prefix and an interior node
 * with 0x01, so that no leaf can pass for an interior node (second-preimage resistance).
 */
import { createHash } from 'node:crypto';

/** Size of every hash in the tree, in bytes. */
export const HASH_SIZE = 32;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** SHA-256 of the concatenated parts. */
export function sha256(...parts: readonly Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** The hash of a leaf: SHA-256(0x00 ‖ leaf bytes). */
export function leafHash(leaf: Uint8Array): Buffer {
  return sha256(LEAF_PREFIX, leaf);
}

/** The hash of an interior node: SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(NODE_PREFIX, left, right);
}

/** The root of the empty tree: SHA-256 of the empty string. */
export function emptyRoot(): Buffer {
  return sha256();
}

/** True when `value` is a byte string of HASH_SIZE bytes. */
export function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}
