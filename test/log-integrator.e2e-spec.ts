/**
 * The transparency log's integrator against a real PostgreSQL ("medium" test: one service, a real
 * database, the real migrations, no witness): it integrates what the appender committed, its root
 * is the RFC 9162 root of the entries' canonical documents, a new integrator resumes from the
 * stored nodes, and of two integrators only the lock holder works.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  AccessLogAppender,
  AccessLogRepository,
  canonicalDocument,
  type AccessEntry,
  type NewAccessEntry,
} from '@broker/access-log';
import { ConsentStore } from '@broker/consent';
import { openDatabase } from '@broker/database';
import { LogIntegrator, LogProofsService, LogTreeRepository } from '@broker/log-tree';
import {
  CosignatureV1Verifier,
  Ed25519NoteSigner,
  Ed25519NoteVerifier,
  leafHash,
  parseCheckpoint,
  parseNote,
  rootOfLeafHashes,
  verifyConsistency,
  verifyInclusion,
  verifyNote,
} from '@broker/transparency';
import { createTestDatabase } from '@broker/testing';

const ORIGIN = 'broker.medium.test/log';

const entry = (i: number): NewAccessEntry => ({
  occurredAt: new Date(),
  channel: 'sync',
  memberId: 'medium-member',
  purpose: 'medium-test',
  consentIssuer: null,
  consentJti: null,
  subject: null,
  itemsRequested: ['name'],
  itemsDisclosed: [],
  outcome: 'REFUSED',
  reasonCode: 'CONSENT_INVALID',
  source: null,
  correlationId: `medium-${i}`,
  jobId: null,
});

describe('transparency log integrator (real PostgreSQL)', () => {
  let db: { url: string; drop(): Promise<void> };
  let ds: DataSource;
  let entries: AccessLogRepository;
  let tree: LogTreeRepository;
  let appender: AccessLogAppender;
  const signer = new Ed25519NoteSigner(ORIGIN, generateKeyPairSync('ed25519').privateKey);
  const sealed: AccessEntry[] = [];
  const integrators: LogIntegrator[] = [];

  const integrator = (pageSize = 7): LogIntegrator => {
    const i = new LogIntegrator(ds, tree, entries, signer, [], {
      origin: ORIGIN,
      intervalMs: 60_000,
      quorum: 0,
      pageSize,
      maxPagesPerTick: 100,
    });
    integrators.push(i);
    return i;
  };
  const append = async (n: number): Promise<void> => {
    const from = sealed.length;
    sealed.push(
      ...(await Promise.all(Array.from({ length: n }, (_, k) => appender.append(entry(from + k))))),
    );
    sealed.sort((a, b) => Number(a.seq) - Number(b.seq));
  };
  const leaves = (): Buffer[] => sealed.map((e) => leafHash(Buffer.from(canonicalDocument(e), 'utf8')));
  /** Waits for the background witness round (quorum 0: publishes at once). */
  const published = async (size: number): Promise<string> => {
    for (let i = 0; i < 100; i++) {
      const cp = await tree.latestPublished();
      if (cp && cp.size >= size && cp.cosignedNote) return cp.cosignedNote;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no checkpoint published at size ${size}`);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = await openDatabase(db.url, { migrate: true, poolSize: 6 });
    entries = new AccessLogRepository(ds);
    tree = new LogTreeRepository(ds);
    appender = new AccessLogAppender(ds, entries, new ConsentStore(ds));
  });

  afterAll(async () => {
    for (const i of integrators) await i.stop();
    await ds?.destroy();
    await db?.drop();
  });

  it('salts every entry and integrates them: the root is that of the canonical documents, the checkpoint signed', async () => {
    await append(23);
    expect(
      sealed.every((e) => typeof e.salt === 'string' && Buffer.from(e.salt, 'base64url').length >= 16),
    ).toBe(true);
    const a = integrator();
    await a.tick();
    expect(a.isActive).toBe(true);
    const head = await tree.head();
    expect(head.size).toBe(23);
    expect(head.root.equals(rootOfLeafHashes(leaves()))).toBe(true);
    const note = await published(23);
    const v = verifyNote(note, [new Ed25519NoteVerifier(signer.vkey)]);
    expect(v.ok).toBe(true);
    const cp = parseCheckpoint(parseNote(note).text);
    expect(cp).toMatchObject({ origin: ORIGIN, size: 23 });
    expect(cp.rootHash.equals(head.root)).toBe(true);
  });

  it('serves proofs from the stored nodes that verify against the published roots', async () => {
    const proofs = new LogProofsService(tree, entries);
    const first = parseCheckpoint(parseNote((await proofs.publishedCheckpoint()).cosignedNote).text);
    await append(10);
    await integrators[0].tick();
    await published(33);
    const second = parseCheckpoint(parseNote((await proofs.publishedCheckpoint()).cosignedNote).text);
    expect(second.size).toBe(33);
    const consistency = await proofs.consistency('23', '33');
    expect(verifyConsistency(23, 33, first.rootHash, second.rootHash, consistency)).toBe(true);
    const { leafHash: leaf, hashes } = await proofs.inclusion('17', '33');
    expect(leaf.equals(leaves()[17])).toBe(true);
    expect(verifyInclusion(17, 33, leaf, hashes, second.rootHash)).toBe(true);
    await expect(proofs.consistency('0', '33')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(proofs.consistency('5', '34')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(proofs.inclusion('33', '33')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(proofs.inclusion('1', 'x')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const state = await proofs.state();
    expect(state).toMatchObject({
      entries: 33,
      integratedSize: 33,
      publishedSize: 33,
      integrationDelayMs: 0,
    });
  });

  it('lets one integrator work at a time; a new one resumes from the stored nodes when the first stops', async () => {
    const b = integrator(5);
    await b.tick();
    expect(b.isActive).toBe(false);
    await append(12);
    await b.tick();
    expect((await tree.head()).size).toBe(33); // the standby did nothing
    await integrators[0].stop();
    await b.tick();
    expect(b.isActive).toBe(true);
    const head = await tree.head();
    expect(head.size).toBe(45);
    expect(head.root.equals(rootOfLeafHashes(leaves()))).toBe(true);
    await published(45);
  });

  it('never has two active integrators, whatever the interleaving', async () => {
    const many = [integrator(), integrator(), integrator()];
    await append(9);
    await Promise.all(many.map((i) => i.tick()));
    await Promise.all(integrators.map((i) => i.tick()));
    expect(integrators.filter((i) => i.isActive)).toHaveLength(1);
    const head = await tree.head();
    expect(head.size).toBe(54);
    expect(head.root.equals(rootOfLeafHashes(leaves()))).toBe(true);
  });

  it('has no witness verifier for the broker key (sanity: keys of distinct types)', () => {
    expect(() => new CosignatureV1Verifier(signer.vkey)).toThrow();
  });
});
