import fc from 'fast-check';
import {
  appendLeaves,
  EMPTY_FRONTIER,
  frontierNodes,
  frontierOf,
  frontierRoot,
  rootOfLeafHashes,
} from './compact-range';
import { emptyRoot, leafHash, nodeHash } from './hashes';
import { InMemoryMerkleTree } from './memory-tree';
import { referenceConsistency, referencePath, referenceRoot } from './merkle-reference';
import { consistencyProof, inclusionProof, proofPlan, treeRoot } from './merkle-proofs';
import { verifyConsistency, verifyInclusion } from './merkle-verify';
import { consistencyRanges, inclusionRanges, isPowerOfTwo, perfectSubtrees } from './tree-geometry';

const leavesOf = (n: number): Buffer[] => Array.from({ length: n }, (_, i) => Buffer.from(`leaf ${i}`));
const hex = (hashes: readonly Buffer[]): string[] => hashes.map((h) => h.toString('hex'));
const treeOf = (leaves: readonly Buffer[]): InMemoryMerkleTree => {
  const tree = new InMemoryMerkleTree();
  tree.appendData(leaves);
  return tree;
};
/** A size n ≥ 1 and the leaves of a tree of that size, with some index below it. */
const sizedTree = fc
  .integer({ min: 1, max: 300 })
  .chain((n) => fc.record({ leaves: fc.constant(leavesOf(n)), index: fc.integer({ min: 0, max: n - 1 }) }));
const flip = (hash: Buffer, byte: number): Buffer => {
  const copy = Buffer.from(hash);
  copy[byte % copy.length] ^= 0x01;
  return copy;
};

describe('RFC 9162 hashing', () => {
  it('matches the RFC 6962 test vectors of certificate-transparency', () => {
    const data = [
      '',
      '00',
      '10',
      '2021',
      '3031',
      '40414243',
      '5051525354555657',
      '606162636465666768696a6b6c6d6e6f',
    ];
    const roots = [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
      'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
      '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
      '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
      'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
      '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    ];
    const leaves = data.map((d) => Buffer.from(d, 'hex'));
    roots.forEach((root, i) =>
      expect(rootOfLeafHashes(leaves.slice(0, i + 1).map(leafHash)).toString('hex')).toBe(root),
    );
    expect(emptyRoot().toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  it('separates leaves from interior nodes', () => {
    const a = Buffer.alloc(32, 1);
    const b = Buffer.alloc(32, 2);
    expect(leafHash(Buffer.concat([a, b])).equals(nodeHash(a, b))).toBe(false);
  });
});

describe('tree geometry', () => {
  it('splits a proof range into aligned perfect subtrees, largest first', () => {
    expect(perfectSubtrees({ start: 0, end: 7 })).toEqual([
      { level: 2, index: 0 },
      { level: 1, index: 2 },
      { level: 0, index: 6 },
    ]);
    expect(perfectSubtrees({ start: 8, end: 13 })).toEqual([
      { level: 2, index: 2 },
      { level: 0, index: 12 },
    ]);
    expect(() => perfectSubtrees({ start: 2, end: 6 })).toThrow(RangeError);
  });

  it('names only ranges that split into perfect subtrees', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.nat(), (size, seed) => {
        const index = seed % size;
        for (const r of [...inclusionRanges(index, size), ...consistencyRanges(index, size)]) {
          expect(() => perfectSubtrees(r)).not.toThrow();
        }
      }),
    );
  });

  it('tells powers of two exactly, even past 2^32', () => {
    expect([1, 2, 4, 2 ** 40, 2 ** 52].every(isPowerOfTwo)).toBe(true);
    expect([0, 3, 6, 2 ** 40 + 1, 2 ** 53 - 1].some(isPowerOfTwo)).toBe(false);
  });

  it('refuses indexes outside the tree', () => {
    expect(() => inclusionRanges(5, 5)).toThrow(RangeError);
    expect(() => inclusionRanges(0, 0)).toThrow(RangeError);
    expect(() => consistencyRanges(6, 5)).toThrow(RangeError);
    expect(() => inclusionRanges(1.5, 5)).toThrow(RangeError);
  });

  it('plans reads of a few nodes for a proof in a tree of ten million leaves', () => {
    const size = 10_000_000;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: size - 1 }), (index) => {
        const inclusion = proofPlan(inclusionRanges(index, size));
        expect(inclusion.ranges.length).toBeLessThanOrEqual(24);
        expect(inclusion.nodes.length).toBeLessThanOrEqual(48);
        expect(proofPlan(consistencyRanges(index + 1, size)).nodes.length).toBeLessThanOrEqual(48);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('roots and the compact-range appender', () => {
  it('agree with the recursive reference for every size up to 70', async () => {
    const leaves = leavesOf(70);
    const tree = new InMemoryMerkleTree();
    expect((await tree.root()).equals(emptyRoot())).toBe(true);
    for (let n = 1; n <= 70; n++) {
      tree.appendData([leaves[n - 1]]);
      const expected = referenceRoot(leaves.slice(0, n));
      expect((await tree.root()).equals(expected)).toBe(true);
      expect((await tree.root(n - 1)).equals(referenceRoot(leaves.slice(0, n - 1)))).toBe(true);
    }
  });

  it('give the same root and nodes whatever the batches the leaves come in', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 12 }), (batches) => {
        const all = leavesOf(batches.reduce((a, b) => a + b, 0)).map(leafHash);
        let frontier = EMPTY_FRONTIER;
        let offset = 0;
        const nodes = new Map<string, string>();
        for (const count of batches) {
          const step = appendLeaves(frontier, all.slice(offset, offset + count));
          offset += count;
          for (const n of step.completed) {
            const key = `${n.level}/${n.index}`;
            expect(nodes.has(key)).toBe(false); // each node is completed, hence written, once
            nodes.set(key, n.hash.toString('hex'));
          }
          frontier = step.frontier;
          expect(step.root.equals(rootOfLeafHashes(all.slice(0, offset)))).toBe(true);
        }
        expect(frontierRoot(frontier).equals(rootOfLeafHashes(all))).toBe(true);
        // every perfect subtree of the final tree was completed once, none other
        const expected = [...Array(12).keys()].reduce(
          (sum, level) => sum + Math.floor(all.length / 2 ** level),
          0,
        );
        expect(nodes.size).toBe(expected);
      }),
      { numRuns: 60 },
    );
  });

  it('rebuilds a frontier from the nodes a store persisted', async () => {
    const tree = treeOf(leavesOf(45));
    const ids = frontierNodes(45);
    expect(ids.map((n) => n.level)).toEqual([5, 3, 2, 0]);
    const frontier = frontierOf(45, await tree.read(ids));
    const next = appendLeaves(frontier, [leafHash(Buffer.from('leaf 45'))]);
    expect(next.root.equals(referenceRoot(leavesOf(46)))).toBe(true);
    expect(() => frontierOf(45, [])).toThrow(RangeError);
  });

  it('refuses a leaf hash that is not 32 bytes', () => {
    expect(() => appendLeaves(EMPTY_FRONTIER, [Buffer.alloc(31)])).toThrow(RangeError);
  });
});

describe('inclusion proofs', () => {
  it('equal the reference and verify, for random trees and leaves', async () => {
    await fc.assert(
      fc.asyncProperty(sizedTree, async ({ leaves, index }) => {
        const tree = treeOf(leaves);
        const proof = await tree.inclusionProof(index);
        expect(hex(proof)).toEqual(hex(referencePath(index, leaves)));
        const root = referenceRoot(leaves);
        expect(verifyInclusion(index, leaves.length, leafHash(leaves[index]), proof, root)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('at an older size come from the same stored nodes', async () => {
    const leaves = leavesOf(100);
    const tree = treeOf(leaves);
    for (const size of [1, 2, 3, 31, 32, 33, 64, 99]) {
      for (const index of [0, Math.floor(size / 2), size - 1]) {
        expect(hex(await tree.inclusionProof(index, size))).toEqual(
          hex(referencePath(index, leaves.slice(0, size))),
        );
      }
    }
  });

  it('fail when anything is tampered with', async () => {
    await fc.assert(
      fc.asyncProperty(sizedTree, fc.nat(), async ({ leaves, index }, pick) => {
        const n = leaves.length;
        const proof = await inclusionProof(index, n, treeOf(leaves).read);
        const root = referenceRoot(leaves);
        const leaf = leafHash(leaves[index]);
        const verify = (i: number, s: number, l: Buffer, p: Buffer[], r: Buffer) =>
          verifyInclusion(i, s, l, p, r);
        expect(verify(index, n, flip(leaf, pick), proof, root)).toBe(false);
        expect(verify(index, n, leaf, proof, flip(root, pick))).toBe(false);
        expect(verify(index, n, leaf, [...proof, root], root)).toBe(false);
        expect(verify(n, n, leaf, proof, root)).toBe(false);
        if (proof.length > 0) {
          const at = pick % proof.length;
          expect(
            verify(
              index,
              n,
              leaf,
              proof.map((h, i) => (i === at ? flip(h, pick) : h)),
              root,
            ),
          ).toBe(false);
          expect(verify(index, n, leaf, proof.slice(0, -1), root)).toBe(false);
          expect(verify(index, n, leaf, [...proof].reverse(), root)).toBe(proof.length === 1);
          const other = (index + 1 + (pick % (n - 1))) % n;
          expect(verify(other, n, leaf, proof, root)).toBe(false);
          // (a wrong size is not tampering a verifier can see: sizes with the same path shape agree;
          // the size is bound by the signed checkpoint instead)
          expect(verify(index, 2 * n, leaf, proof, root)).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuse a hash of the wrong length instead of hashing it', () => {
    const leaves = leavesOf(4);
    const root = referenceRoot(leaves);
    const proof = referencePath(1, leaves);
    expect(verifyInclusion(1, 4, leafHash(leaves[1]), [proof[0].subarray(0, 31), proof[1]], root)).toBe(
      false,
    );
  });
});

describe('consistency proofs', () => {
  const sizes = fc
    .integer({ min: 1, max: 300 })
    .chain((n) => fc.record({ newSize: fc.constant(n), oldSize: fc.integer({ min: 0, max: n }) }));

  it('equal the reference and verify, for random pairs of sizes', async () => {
    await fc.assert(
      fc.asyncProperty(sizes, async ({ oldSize, newSize }) => {
        const leaves = leavesOf(newSize);
        const tree = treeOf(leaves);
        const proof = await tree.consistencyProof(oldSize, newSize);
        expect(hex(proof)).toEqual(hex(referenceConsistency(oldSize, leaves)));
        const oldRoot = referenceRoot(leaves.slice(0, oldSize));
        expect(verifyConsistency(oldSize, newSize, oldRoot, referenceRoot(leaves), proof)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('fail when anything is tampered with', async () => {
    await fc.assert(
      fc.asyncProperty(sizes, fc.nat(), async ({ oldSize, newSize }, pick) => {
        fc.pre(oldSize > 0 && oldSize < newSize);
        const leaves = leavesOf(newSize);
        const proof = await consistencyProof(oldSize, newSize, treeOf(leaves).read);
        const oldRoot = referenceRoot(leaves.slice(0, oldSize));
        const newRoot = referenceRoot(leaves);
        const verify = (a: number, b: number, r1: Buffer, r2: Buffer, p: Buffer[]) =>
          verifyConsistency(a, b, r1, r2, p);
        expect(verify(oldSize, newSize, flip(oldRoot, pick), newRoot, proof)).toBe(false);
        expect(verify(oldSize, newSize, oldRoot, flip(newRoot, pick), proof)).toBe(false);
        expect(verify(oldSize, newSize, oldRoot, newRoot, [])).toBe(false);
        expect(verify(oldSize, newSize, oldRoot, newRoot, [...proof, newRoot])).toBe(false);
        expect(verify(oldSize, newSize, oldRoot, newRoot, proof.slice(0, -1))).toBe(false);
        const at = pick % proof.length;
        expect(
          verify(
            oldSize,
            newSize,
            oldRoot,
            newRoot,
            proof.map((h, i) => (i === at ? flip(h, pick) : h)),
          ),
        ).toBe(false);
        expect(verify(newSize, oldSize, newRoot, oldRoot, proof)).toBe(false);
        // a forked history: same old size, another leaf somewhere before it
        const forked = leaves.map((l, i) => (i === pick % oldSize ? Buffer.from('rewritten') : l));
        const forkProof = referenceConsistency(oldSize, forked);
        expect(verify(oldSize, newSize, oldRoot, referenceRoot(forked), forkProof)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('handles the edges: empty old tree, equal sizes', () => {
    const leaves = leavesOf(5);
    const root = referenceRoot(leaves);
    expect(verifyConsistency(0, 5, emptyRoot(), root, [])).toBe(true);
    expect(verifyConsistency(0, 5, emptyRoot(), root, [root])).toBe(false);
    expect(verifyConsistency(5, 5, root, root, [])).toBe(true);
    expect(verifyConsistency(5, 5, root, flip(root, 0), [])).toBe(false);
    expect(verifyConsistency(5, 5, root, root, [root])).toBe(false);
  });

  it('reads perfect subtrees a store has, and asks for each only once per range', async () => {
    const tree = treeOf(leavesOf(37));
    const asked: string[] = [];
    const proof = await consistencyProof(13, 37, (nodes) => {
      asked.push(...nodes.map((n) => `${n.level}/${n.index}`));
      return tree.read(nodes);
    });
    expect(hex(proof)).toEqual(hex(referenceConsistency(13, leavesOf(37))));
    expect(new Set(asked).size).toBe(asked.length);
    await expect(treeRoot(38, tree.read)).rejects.toThrow(RangeError);
  });
});
