/**
 * The witnessed transparency log end to end: a real gateway (its integrator), a real witness
 * (apps/witness, in-process on a free port, trust on first use in development) named in the trust
 * file with quorum 1. The published checkpoint verifies with the broker's vkey and carries the
 * witness's cosignature; consistency and inclusion proofs verify against it. A gateway whose only
 * witness refuses it keeps its checkpoint unpublished and says the log is not ready.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AccessLogAppender, type NewAccessEntry } from '@broker/access-log';
import {
  CosignatureV1Verifier,
  Ed25519NoteVerifier,
  ed25519PublicKeyBytes,
  formatVkey,
  parseCheckpoint,
  parseNote,
  verifyConsistency,
  verifyNote,
  verifyTlogProof,
} from '@broker/transparency';
import { mintCitizenToken } from '@broker/testing';
import { readWitnessConfig } from '../apps/witness/src/witness-config';
import { startWitness, type RunningWitness } from '../apps/witness/src/witness-process';
import { startSimulator, type TestSimulator } from './support/simulators';
import { gql, startTestBroker, type TestBroker } from './support/test-broker';

const entry = (i: number): NewAccessEntry => ({
  occurredAt: new Date(),
  channel: 'sync',
  memberId: 'e2e-member',
  purpose: 'e2e',
  consentIssuer: null,
  consentJti: null,
  subject: null,
  itemsRequested: ['name'],
  itemsDisclosed: [],
  outcome: 'REFUSED',
  reasonCode: 'CONSENT_INVALID',
  source: null,
  correlationId: `tlog-e2e-${i}`,
  jobId: null,
});

async function waitFor<T>(what: string, probe: () => Promise<T | null>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const v = await probe();
    if (v !== null) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function startTestWitness(dir: string, env: Record<string, string> = {}): Promise<RunningWitness> {
  const config = readWitnessConfig({
    BROKER_MODE: 'development',
    WITNESS_PORT: '0',
    WITNESS_DATA_DIR: dir,
    WITNESS_NAME: `witness.e2e.test/${path.basename(dir)}`,
    WITNESS_LOG_LEVEL: 'error',
    ...env,
  });
  return startWitness(config);
}

describe('witnessed transparency log (gateway + witness + PostgreSQL)', () => {
  let dir: string;
  let rnpp: TestSimulator;
  let witness: RunningWitness;
  let broker: TestBroker;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tlog-e2e-'));
    rnpp = await startSimulator();
    witness = await startTestWitness(path.join(dir, 'w1'));
    const name = witness.vkey.split('+')[0];
    broker = await startTestBroker(rnpp.url, { LOG_INTEGRATE_INTERVAL_MS: '50' }, undefined, (doc) => {
      doc.witnesses = [{ name, vkey: witness.vkey, url: witness.url }];
      doc.witnessQuorum = 1;
    });
  });

  afterAll(async () => {
    await broker?.close();
    await witness?.close();
    await rnpp?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const get = (p: string, headers: Record<string, string> = {}) =>
    fetch(`${broker.baseUrl}${p}`, { headers });

  it('publishes checkpoints signed by the broker and cosigned by the witness, with proofs that verify', async () => {
    const appender = broker.app.get(AccessLogAppender);
    for (let i = 0; i < 12; i++) await appender.append(entry(i));
    const vkey = (await (await get('/log/vkey')).text()).trim();
    expect(vkey).toMatch(/^[^+\s]+\+[0-9a-f]{8}\+[A-Za-z0-9+/=]+$/);
    const first = await waitFor('a checkpoint of 12 entries', async () => {
      const r = await get('/log/checkpoint');
      if (r.status !== 200) return null;
      const text = await r.text();
      return parseCheckpoint(parseNote(text).text).size >= 12 ? text : null;
    });
    const logOk = verifyNote(first, [new Ed25519NoteVerifier(vkey)]);
    expect(logOk.ok).toBe(true);
    const witnessOk = verifyNote(first, [new CosignatureV1Verifier(witness.vkey)]);
    expect(witnessOk.ok).toBe(true);
    const cp1 = parseCheckpoint(parseNote(first).text);
    expect(cp1.origin).toBe(broker.trust.doc.brokerId);

    for (let i = 12; i < 20; i++) await appender.append(entry(i));
    const second = await waitFor('a larger checkpoint', async () => {
      const text = await (await get('/log/checkpoint')).text();
      return parseCheckpoint(parseNote(text).text).size >= 20 ? text : null;
    });
    const cp2 = parseCheckpoint(parseNote(second).text);
    const c = await get(`/log/consistency?from=${cp1.size}&to=${cp2.size}`);
    expect(c.status).toBe(200);
    const hashes = ((await c.json()) as { hashes: string[] }).hashes.map((h) => Buffer.from(h, 'base64'));
    expect(verifyConsistency(cp1.size, cp2.size, cp1.rootHash, cp2.rootHash, hashes)).toBe(true);

    const bad = await get(`/log/consistency?from=0&to=${cp2.size}`);
    expect(bad.status).toBe(400);
    expect(
      ((await bad.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code,
    ).toBe('BAD_REQUEST');
    expect((await get(`/log/proof?index=3&size=${cp2.size}`)).status).toBe(401);
  });

  it('names whom to trust at GET /log/witnesses: the log key, the witnesses (names and keys only) and the quorum', async () => {
    const res = await get('/log/witnesses');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const vkey = (await (await get('/log/vkey')).text()).trim();
    expect(await res.json()).toEqual({
      origin: broker.trust.doc.brokerId,
      logVkey: vkey,
      quorum: 1,
      witnesses: [{ name: witness.vkey.split('+')[0], vkey: witness.vkey }],
    });
  });

  it('gives the citizen a tlog-proof of each of their own entries, which verifies offline and carries that entry', async () => {
    const subject = rnpp.population.list(7, 8)[0];
    const appender = broker.app.get(AccessLogAppender);
    for (let i = 0; i < 3; i++) await appender.append({ ...entry(100 + i), subject });
    await appender.append({ ...entry(200), subject: rnpp.population.list(8, 9)[0] });
    const vkey = (await (await get('/log/vkey')).text()).trim();
    const token = await mintCitizenToken(
      broker.trust.idp.key,
      broker.trust.idp.issuer,
      broker.trust.brokerId,
      subject,
    );
    const proofs = await waitFor('three covered entries', async () => {
      const r = await gql(
        broker.graphqlUrl,
        '{ myAccessLog(first: 50) { edges { node { id proof } } } }',
        {},
        {
          authorization: `Bearer ${token}`,
        },
      );
      const edges = (
        r.body.data as { myAccessLog: { edges: { node: { id: string; proof: string | null } }[] } }
      ).myAccessLog.edges;
      return edges.length === 3 && edges.every((e) => e.node.proof) ? edges.map((e) => e.node) : null;
    });
    for (const { id, proof } of proofs) {
      const v = verifyTlogProof(proof!, { log: vkey, witnesses: [witness.vkey], quorum: 1 });
      expect(v).toMatchObject({ ok: true, index: Number(id) - 1 });
      const leaf = JSON.parse(
        Buffer.from(proof!.split('\n')[1].slice('extra '.length), 'base64').toString('utf8'),
      ) as {
        seq: string;
        subject: string;
        salt: string;
      };
      expect(leaf).toMatchObject({ seq: id, subject });
      expect(leaf.salt).toMatch(/^[A-Za-z0-9_-]{22,}$/);
      // a changed leaf no longer verifies
      const tampered = proof!.replace(
        /^extra .*$/m,
        `extra ${Buffer.from(JSON.stringify({ ...leaf, subject: '1' })).toString('base64')}`,
      );
      expect(verifyTlogProof(tampered, { log: vkey, witnesses: [witness.vkey], quorum: 1 }).ok).toBe(false);
    }
  });

  it('keeps the checkpoint unpublished and reports the log not ready when its only witness refuses', async () => {
    // a witness that witnesses another log only: it refuses this broker's key
    const other = formatVkey(
      'another.log.test',
      0x01,
      ed25519PublicKeyBytes(generateKeyPairSync('ed25519').privateKey),
    );
    const refusing = await startTestWitness(path.join(dir, 'w2'), { WITNESS_LOGS: other });
    const name = refusing.vkey.split('+')[0];
    const lonely = await startTestBroker(
      rnpp.url,
      { LOG_INTEGRATE_INTERVAL_MS: '50', LOG_PUBLISH_MAX_DELAY_MS: '500' },
      undefined,
      (doc) => {
        doc.witnesses = [{ name, vkey: refusing.vkey, url: refusing.url }];
        doc.witnessQuorum = 1;
      },
    );
    try {
      await lonely.app.get(AccessLogAppender).append(entry(100));
      const ready = await waitFor('readiness to report the log', async () => {
        const r = await fetch(`${lonely.baseUrl}/health/ready`);
        const body = (await r.json()) as Record<string, string>;
        return body.transparencyLog === 'not-ready' ? { status: r.status, body } : null;
      });
      // the default LOG_WITNESS_FAILURE=serve: still ready, degraded
      expect(ready.status).toBe(200);
      expect(ready.body.status).toBe('degraded');
      const r = await fetch(`${lonely.baseUrl}/log/checkpoint`);
      expect(r.status).toBe(503);
      expect(
        ((await r.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code,
      ).toBe('LOG_NOT_PUBLISHED');
      const metrics = await (await fetch(lonely.metricsUrl)).text();
      expect(metrics).toMatch(/^broker_log_ready 0$/m);
      expect(metrics).toMatch(/^broker_log_witness_cosigning\{witness="[^"]+"\} 0$/m);
      expect(metrics).toMatch(/^broker_log_integration_delay_seconds /m);
    } finally {
      await lonely.close();
      await refusing.close();
    }
  });
});
