/**
 * A transparency log for tests: an in-memory Merkle tree, a log note key and witness cosigners
 * generated in the test, signed checkpoints and tlog-proofs at any size, and (serveTestLog) the
 * gateway's public endpoints over real HTTP on a free port. Keys live only in memory.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Ed25519Cosigner,
  Ed25519NoteSigner,
  encodeBase64,
  formatCheckpoint,
  formatTlogProof,
  InMemoryMerkleTree,
  signNote,
} from '@broker/transparency';

/** An Ed25519 private key made for this test run only. */
export const testKey = () => generateKeyPairSync('ed25519').privateKey;

/** A log under test; `witnesses` cosign every checkpoint it signs unless told otherwise. */
export class TestLog {
  readonly tree = new InMemoryMerkleTree();
  readonly leaves: Buffer[] = [];
  readonly signer: Ed25519NoteSigner;

  constructor(
    readonly origin = 'broker.test.lu/access-log',
    readonly witnesses: readonly Ed25519Cosigner[] = [new Ed25519Cosigner('witness.test.lu/w1', testKey())],
    signer?: Ed25519NoteSigner,
  ) {
    this.signer = signer ?? new Ed25519NoteSigner(origin, testKey());
  }

  /** Appends `count` entries (salted JSON, like the broker's leaves). */
  append(count: number): this {
    const start = this.leaves.length;
    const data = Array.from({ length: count }, (_, i) =>
      Buffer.from(JSON.stringify({ i: start + i, salt: randomBytes(16).toString('base64') })),
    );
    this.leaves.push(...data);
    this.tree.appendData(data);
    return this;
  }

  /** The signed (and cosigned) checkpoint note at `size` (default: now). */
  async checkpoint(
    size = this.tree.size,
    cosigners: readonly Ed25519Cosigner[] = this.witnesses,
    signer: Ed25519NoteSigner = this.signer,
  ): Promise<string> {
    const text = formatCheckpoint({ origin: this.origin, size, rootHash: await this.tree.root(size) });
    return signNote(text, [signer]) + cosigners.map((c) => c.cosignatureLine(text)).join('');
  }

  /** A tlog-proof of entry `index` at `size`, its extra line carrying the leaf bytes. */
  async proof(index: number, size = this.tree.size, checkpoint?: string): Promise<string> {
    return formatTlogProof({
      extra: this.leaves[index],
      index,
      hashes: await this.tree.inclusionProof(index, size),
      checkpoint: checkpoint ?? (await this.checkpoint(size)),
    });
  }
}

/** What the test server answers; the test changes it between CLI runs. */
export interface TestLogEndpoints {
  /** GET /log/checkpoint (status 200 unless `checkpointStatus`). */
  checkpoint: string;
  checkpointStatus?: number;
  vkey: string;
  /** GET /log/consistency?from&to; default: from the tree. */
  consistency?: (from: number, to: number) => Promise<Buffer[]>;
}

/** Serves the gateway's public log endpoints on 127.0.0.1, port 0. */
export async function serveTestLog(
  log: TestLog,
  endpoints: TestLogEndpoints,
): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(url.pathname + url.search);
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    const answer = async (): Promise<void> => {
      if (url.pathname === '/log/checkpoint') {
        return send(endpoints.checkpointStatus ?? 200, 'text/plain; charset=utf-8', endpoints.checkpoint);
      }
      if (url.pathname === '/log/vkey') return send(200, 'text/plain; charset=utf-8', `${endpoints.vkey}\n`);
      if (url.pathname === '/log/consistency') {
        const from = Number(url.searchParams.get('from'));
        const to = Number(url.searchParams.get('to'));
        const hashes = await (endpoints.consistency ?? ((a, b) => log.tree.consistencyProof(a, b)))(from, to);
        return send(200, 'application/json', JSON.stringify({ hashes: hashes.map(encodeBase64) }));
      }
      send(404, 'text/plain', 'not found');
    };
    answer().catch((e: Error) => send(400, 'text/plain', e.message));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, server, requests };
}
