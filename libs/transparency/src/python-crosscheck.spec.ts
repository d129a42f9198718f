/**
 * What this library produces, verified by the acceptance tests' independent Python library, and
 * what that library produces, verified by this one.
 */
import { generateKeyPairSync } from 'node:crypto';
import { crosscheckUnavailable, crosscheckValues } from '../../../test/support/tlog-crosscheck';
import { signCheckpoint } from './checkpoint';
import { Ed25519Cosigner } from './cosignature';
import { InMemoryMerkleTree } from './memory-tree';
import { Ed25519NoteSigner, parseVkey } from './note-keys';
import { parseNote } from './signed-note';
import { formatTlogProof, verifyTlogProof } from './tlog-proof';

const unavailable = crosscheckUnavailable();
const describeWithPython = unavailable === undefined ? describe : describe.skip;
if (unavailable !== undefined) process.stderr.write(`python cross-check skipped: ${unavailable}\n`);

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const leavesOf = (n: number): Buffer[] =>
  Array.from({ length: n }, (_, i) => Buffer.from(`leaf ${i} ${'x'.repeat(i % 5)}`));

describeWithPython('cross-check with the independent Python tlog library', () => {
  const sizes = [1, 2, 3, 5, 7, 8, 9, 16, 17, 31, 64, 100];

  it('agrees on roots, inclusion proofs and consistency proofs', async () => {
    const leaves = leavesOf(100);
    const tree = new InMemoryMerkleTree();
    tree.appendData(leaves);
    const checks: object[] = [];
    const expected: unknown[] = [];
    for (const n of sizes) {
      const prefix = leaves.slice(0, n).map(b64);
      const root = b64(await tree.root(n));
      checks.push({ kind: 'root', leaves: prefix });
      expected.push(root);
      for (const index of new Set([0, Math.floor(n / 3), n - 1])) {
        const path = (await tree.inclusionProof(index, n)).map(b64);
        checks.push({ kind: 'inclusion_path', index, leaves: prefix });
        expected.push(path);
        checks.push({ kind: 'verify_inclusion', index, size: n, leaf: b64(leaves[index]), path, root });
        expected.push(true);
      }
      for (const old of new Set([1, Math.floor(n / 2) || 1, n])) {
        const path = (await tree.consistencyProof(old, n)).map(b64);
        checks.push({ kind: 'consistency_path', old, leaves: prefix });
        expected.push(path);
        const oldRoot = b64(await tree.root(old));
        checks.push({ kind: 'verify_consistency', old, new: n, oldRoot, newRoot: root, path });
        expected.push(true);
      }
    }
    expect(crosscheckValues(checks)).toEqual(expected);
  });

  it('verifies our vkeys, checkpoint signature, cosignature and tlog-proof', async () => {
    const log = new Ed25519NoteSigner('broker.example/log', generateKeyPairSync('ed25519').privateKey);
    const witness = new Ed25519Cosigner('witness.example', generateKeyPairSync('ed25519').privateKey);
    const leaves = leavesOf(21);
    const tree = new InMemoryMerkleTree();
    tree.appendData(leaves);
    const note = signCheckpoint(
      { origin: log.name, size: 21, rootHash: await tree.root(), extensions: [] },
      log,
    );
    const cosigned = note + witness.cosignatureLine(parseNote(note).text);
    const proof = formatTlogProof({
      extra: leaves[11],
      index: 11,
      hashes: await tree.inclusionProof(11),
      checkpoint: cosigned,
    });
    const tampered = proof.replace(`extra ${b64(leaves[11])}`, `extra ${b64(leaves[12])}`);
    const [logKey, witnessKey, ...rest] = crosscheckValues([
      { kind: 'vkey', vkey: log.vkey },
      { kind: 'vkey', vkey: witness.vkey },
      { kind: 'signed_by', note: cosigned, vkey: log.vkey },
      { kind: 'cosigned_by', note: cosigned, vkey: witness.vkey },
      { kind: 'cosigned_by', note: cosigned, vkey: log.vkey },
      { kind: 'proof', proof, logVkey: log.vkey, witnessVkeys: [witness.vkey] },
      { kind: 'proof', proof: tampered, logVkey: log.vkey, witnessVkeys: [witness.vkey] },
    ]);
    expect(logKey).toEqual({
      name: log.name,
      type: 1,
      keyId: log.keyId.toString('hex'),
      publicKey: b64(parseVkey(log.vkey).publicKey),
    });
    expect(witnessKey).toMatchObject({ name: witness.name, type: 4, keyId: witness.keyId.toString('hex') });
    expect(rest).toEqual([true, true, false, true, false]);
  });

  it('has its own checkpoints, cosignatures and proofs verified here', () => {
    const leaves = leavesOf(37);
    for (const index of [0, 17, 36]) {
      const [made] = crosscheckValues([
        {
          kind: 'make',
          leaves: leaves.map(b64),
          index,
          logName: 'py.example/log',
          witnessName: 'py.example/w',
          time: 1700000000,
        },
      ]) as [{ logVkey: string; witnessVkey: string; proof: string }];
      const result = verifyTlogProof(made.proof, {
        log: made.logVkey,
        witnesses: [made.witnessVkey],
        quorum: 1,
      });
      expect(result).toMatchObject({ ok: true, index, witnesses: ['py.example/w'] });
    }
  });
});
