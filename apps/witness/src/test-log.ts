/**
 * A transparency log for the witness's tests: an in-memory tree, an Ed25519 note key, and the
 * add-checkpoint bodies such a log sends. Not used by the witness itself.
 */
import { generateKeyPairSync } from 'node:crypto';
import {
  Ed25519NoteSigner,
  formatAddCheckpointRequest,
  InMemoryMerkleTree,
  signCheckpoint,
} from '@broker/transparency';

export class TestLog {
  readonly tree = new InMemoryMerkleTree();
  private appended = 0;

  constructor(
    readonly origin = 'broker.test/log',
    private readonly seed = 'entry',
    readonly signer = new Ed25519NoteSigner(origin, generateKeyPairSync('ed25519').privateKey),
  ) {}

  get vkey(): string {
    return this.signer.vkey;
  }

  /** Appends `count` leaves (their bytes depend on the seed, so two logs with different seeds fork). */
  grow(count: number): this {
    const leaves = Array.from({ length: count }, () => Buffer.from(`${this.seed} ${this.appended++}`));
    this.tree.appendData(leaves);
    return this;
  }

  /** The signed checkpoint at `size` (default: the current size). */
  async checkpoint(size = this.tree.size, signer = this.signer): Promise<string> {
    return signCheckpoint(
      { origin: this.origin, size, rootHash: await this.tree.root(size), extensions: [] },
      signer,
    );
  }

  /** The add-checkpoint body from `oldSize` to `size` (default: now). */
  async request(oldSize: number, size = this.tree.size): Promise<string> {
    const proof = oldSize === 0 ? [] : await this.tree.consistencyProof(oldSize, size);
    return formatAddCheckpointRequest(oldSize, proof, await this.checkpoint(size));
  }
}

/** A copy of `log`'s first `keep` leaves, then different ones: the same key, a forked history. */
export async function forkOf(log: TestLog, keep: number, seed = 'rewritten'): Promise<TestLog> {
  const fork = new TestLog(log.origin, seed, log.signer);
  fork.tree.appendHashes(
    await log.tree.read(Array.from({ length: keep }, (_, index) => ({ level: 0, index }))),
  );
  return fork;
}
