import fc from 'fast-check';
import { leafHash, nodeHash } from './hashes';
import { InMemoryMerkleTree } from './memory-tree';
import { proofPlan } from './merkle-proofs';
import {
  MultiProofPlanner,
  MultiProofVerifier,
  multiInclusionProof,
  multiInclusionRanges,
  verifyMultiInclusion,
} from './multi-proof';
import { inclusionRanges } from './tree-geometry';

const leavesOf = (n: number): Buffer[] => Array.from({ length: n }, (_, i) => Buffer.from(`leaf ${i}`));
const treeOf = (n: number): { tree: InMemoryMerkleTree; hashes: Buffer[] } => {
  const tree = new InMemoryMerkleTree();
  const hashes = leavesOf(n).map(leafHash);
  tree.appendHashes(hashes);
  return { tree, hashes };
};
const b64 = (hashes: readonly Buffer[]): string[] => hashes.map((h) => h.toString('base64'));

/** A tree size and a sorted set of distinct leaf indexes below it (possibly empty or complete). */
const sizeAndSubset = fc.integer({ min: 1, max: 160 }).chain((n) =>
  fc.record({
    n: fc.constant(n),
    indexes: fc
      .oneof(
        fc.uniqueArray(fc.integer({ min: 0, max: n - 1 }), { maxLength: n }),
        fc.constant(Array.from({ length: n }, (_, i) => i)),
        fc
          .tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 0, max: n - 1 }))
          .map(([a, b]) => Array.from({ length: Math.abs(b - a) + 1 }, (_, i) => Math.min(a, b) + i)),
      )
      .map((xs) => [...xs].sort((a, b) => a - b)),
  }),
);

async function proofOf(tree: InMemoryMerkleTree, n: number, indexes: number[]): Promise<Buffer[]> {
  return multiInclusionProof(n, indexes, tree.read);
}

function verifyWith(
  n: number,
  pairs: { index: number; hash: Buffer }[],
  proof: Buffer[],
  root: Buffer,
): { ok: boolean; reason?: string } {
  const v = new MultiProofVerifier(n, proof);
  for (const { index, hash } of pairs) v.push(index, hash);
  const r = v.verify(root);
  return r.ok ? { ok: true } : { ok: false, reason: r.reason };
}

describe('multi-leaf inclusion proofs', () => {
  it('recompute the memory tree root for random sets of leaves', async () => {
    await fc.assert(
      fc.asyncProperty(sizeAndSubset, async ({ n, indexes }) => {
        const { tree, hashes } = treeOf(n);
        const proof = await proofOf(tree, n, indexes);
        const root = await tree.root();
        const pairs = indexes.map((index) => ({ index, hash: hashes[index] }));
        expect(verifyMultiInclusion(n, pairs, proof, root)).toBe(true);
        // and at an older size, from the same stored nodes
        const older = Math.max(1, Math.floor(n / 2));
        const within = indexes.filter((i) => i < older);
        const oldProof = await proofOf(tree, older, within);
        expect(
          verifyMultiInclusion(
            older,
            within.map((index) => ({ index, hash: hashes[index] })),
            oldProof,
            await tree.root(older),
          ),
        ).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('take runs of leaves as their aligned subtrees, with the same root', async () => {
    /** The hash of the perfect subtree of hashes[start, start + width). */
    const subtree = (hashes: Buffer[], start: number, width: number): Buffer =>
      width === 1
        ? hashes[start]
        : nodeHash(subtree(hashes, start, width / 2), subtree(hashes, start + width / 2, width / 2));
    await fc.assert(
      fc.asyncProperty(sizeAndSubset, async ({ n, indexes }) => {
        const { tree, hashes } = treeOf(n);
        const proof = await proofOf(tree, n, indexes);
        const v = new MultiProofVerifier(n, proof);
        // each run of consecutive indexes, cut greedily into the largest aligned subtrees
        for (let i = 0; i < indexes.length;) {
          let end = i + 1;
          while (end < indexes.length && indexes[end] === indexes[end - 1] + 1) end++;
          for (let at = indexes[i]; at <= indexes[end - 1];) {
            let width = 1;
            while (at % (width * 2) === 0 && at + width * 2 <= indexes[end - 1] + 1) width *= 2;
            v.pushSubtree(at, width, subtree(hashes, at, width));
            at += width;
          }
          i = end;
        }
        expect(v.verify(await tree.root())).toEqual({ ok: true });
        expect(v.leaves).toBe(indexes.length);
      }),
      { numRuns: 300 },
    );
    // a subtree that is not one, or that comes before the last leaf, is refused as a leaf would be
    const { hashes } = treeOf(8);
    const unaligned = new MultiProofVerifier(8, []);
    unaligned.pushSubtree(2, 4, hashes[0]);
    expect(unaligned.verify(Buffer.alloc(32))).toEqual({
      ok: false,
      reason: '[2, 6) is not an aligned subtree',
    });
    const v = new MultiProofVerifier(8, []);
    for (let i = 0; i <= 5; i++) v.push(i, hashes[i]);
    v.pushSubtree(4, 2, subtree(hashes, 4, 2));
    expect(v.verify(Buffer.alloc(32))).toEqual({
      ok: false,
      reason: 'leaf index 4 does not come after leaf index 5',
    });
  });

  it('need no hash for a complete set, the root alone for an empty one', async () => {
    for (const n of [1, 2, 3, 7, 8, 9, 33]) {
      const { tree, hashes } = treeOf(n);
      const all = hashes.map((hash, index) => ({ index, hash }));
      expect(
        await proofOf(
          tree,
          n,
          all.map((p) => p.index),
        ),
      ).toEqual([]);
      expect(verifyMultiInclusion(n, all, [], await tree.root())).toBe(true);
      const none = await proofOf(tree, n, []);
      expect(b64(none)).toEqual(b64([await tree.root()]));
      expect(verifyMultiInclusion(n, [], none, await tree.root())).toBe(true);
    }
  });

  it('of one leaf hold the same hashes as its inclusion proof, left to right', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 200 }).chain((n) => fc.tuple(fc.constant(n), fc.nat(n - 1))),
        async ([n, i]) => {
          const { tree } = treeOf(n);
          const multi = await proofOf(tree, n, [i]);
          const single = await tree.inclusionProof(i, n);
          expect([...b64(multi)].sort()).toEqual([...b64(single)].sort());
          const left = inclusionRanges(i, n)
            .filter((r) => r.end <= i)
            .sort((a, b) => a.start - b.start);
          const right = inclusionRanges(i, n)
            .filter((r) => r.start > i)
            .sort((a, b) => a.start - b.start);
          expect(multiInclusionRanges(n, [i])).toEqual([...left, ...right]);
        },
      ),
    );
  });

  it('name ranges left to right that cover exactly the leaves not given', () => {
    fc.assert(
      fc.property(sizeAndSubset, ({ n, indexes }) => {
        const ranges = multiInclusionRanges(n, indexes);
        const covered = new Set<number>();
        let previous = -1;
        for (const r of ranges) {
          expect(r.start).toBeGreaterThanOrEqual(previous);
          previous = r.end;
          for (let i = r.start; i < r.end; i++) covered.add(i);
        }
        const given = new Set(indexes);
        for (let i = 0; i < n; i++) expect(covered.has(i)).toBe(!given.has(i));
        // every range is a subtree a store can fold from its perfect nodes
        expect(() => proofPlan(ranges)).not.toThrow();
      }),
    );
  });

  it('refuse a tampered hash, a missing, extra or changed leaf, a wrong order', async () => {
    const n = 37;
    const { tree, hashes } = treeOf(n);
    const root = await tree.root();
    const indexes = [0, 3, 4, 5, 17, 18, 30, 36];
    const pairs = indexes.map((index) => ({ index, hash: hashes[index] }));
    const proof = await proofOf(tree, n, indexes);
    expect(verifyWith(n, pairs, proof, root)).toEqual({ ok: true });

    for (let k = 0; k < proof.length; k++) {
      const bad = proof.map((h, j) => (j === k ? nodeHash(h, h) : h));
      expect(verifyWith(n, pairs, bad, root).ok).toBe(false);
    }
    // a missing leaf: the proof's hashes no longer fit the subtrees, or run out
    for (const missing of indexes) {
      expect(
        verifyWith(
          n,
          pairs.filter((p) => p.index !== missing),
          proof,
          root,
        ).ok,
      ).toBe(false);
    }
    expect(verifyWith(n, pairs.slice(0, -1), proof.slice(0, -1), root).ok).toBe(false);
    expect(verifyWith(n, pairs, proof.slice(0, -1), root)).toMatchObject({
      ok: false,
      reason: 'the proof has too few hashes',
    });
    // an extra leaf: a proof hash is left over
    const extra = [...pairs.slice(0, 4), { index: 10, hash: hashes[10] }, ...pairs.slice(4)];
    expect(verifyWith(n, extra, proof, root).ok).toBe(false);
    // a changed leaf: another root
    const changed = pairs.map((p) => (p.index === 18 ? { ...p, hash: leafHash(Buffer.from('forged')) } : p));
    expect(verifyWith(n, changed, proof, root)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^the leaves and the proof lead to root .*, not the checkpoint's$/),
    });
    // two leaves swapped, a duplicate, an index beyond the tree
    const swapped = [...pairs];
    [swapped[2], swapped[3]] = [swapped[3], swapped[2]];
    expect(verifyWith(n, swapped, proof, root)).toMatchObject({
      ok: false,
      reason: 'leaf index 4 does not come after leaf index 5',
    });
    expect(verifyWith(n, [...pairs.slice(0, 3), pairs[2], ...pairs.slice(3)], proof, root).ok).toBe(false);
    expect(verifyWith(n, [...pairs, { index: 37, hash: hashes[0] }], proof, root)).toMatchObject({
      ok: false,
      reason: 'leaf index 37 is not below the tree size 37',
    });
    // the right leaves under another index (same hashes, shifted)
    const shifted = pairs.map((p) => ({ ...p, index: p.index === 30 ? 31 : p.index }));
    expect(verifyWith(n, shifted, proof, root).ok).toBe(false);
    // another size, a proof with a hash too many, a short hash
    expect(verifyWith(n - 1, pairs.slice(0, -1), proof, root).ok).toBe(false);
    expect(verifyWith(n, pairs, [...proof, proof[0]], root)).toMatchObject({
      ok: false,
      reason: 'the proof has 1 hashes too many',
    });
    expect(verifyWith(n, pairs, [proof[0].subarray(1), ...proof.slice(1)], root)).toMatchObject({
      ok: false,
      reason: 'a proof hash is not 32 bytes',
    });
  });

  it('handle the empty tree', () => {
    const v = new MultiProofVerifier(0, []);
    expect(v.root()).toMatchObject({ ok: true });
    const w = new MultiProofVerifier(0, []);
    w.push(0, leafHash(Buffer.from('x')));
    expect(w.root()).toMatchObject({ ok: false, reason: 'leaf index 0 is not below the tree size 0' });
    expect(new MultiProofPlanner(0).finish()).toEqual([]);
  });

  it('stay small: 1,000 leaves of a ten-million-leaf log need about 13 hashes each', () => {
    const n = 10_000_000;
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const indexes = [...new Set(Array.from({ length: 1000 }, () => Math.floor(random() * n)))].sort(
      (a, b) => a - b,
    );
    const ranges = multiInclusionRanges(n, indexes);
    expect(ranges.length).toBeLessThan(indexes.length * 15);
    expect(ranges.length).toBeGreaterThan(indexes.length * 10);
    // a contiguous run of 1,000 leaves: a few dozen
    const run = Array.from({ length: 1000 }, (_, i) => 4_321_000 + i);
    expect(multiInclusionRanges(n, run).length).toBeLessThan(2 * 24);
  });

  it('the planner can stop a proof that grows too large', () => {
    const planner = new MultiProofPlanner(1024, (count) => {
      if (count > 10) throw new Error('too many');
    });
    expect(() => {
      for (let i = 0; i < 1024; i += 2) planner.push(i);
    }).toThrow('too many');
  });
});
