/**
 * Auditor exports anchored in the witnessed transparency log, end to end: a real gateway (its
 * integrator), a real witness (apps/witness, in-process, quorum 1), entries appended to the log,
 * exports over HTTP with the CLI (the built binary), and `audit verify` with the log's and the
 * witness's keys: an untouched export is anchored in a checkpoint cosigned by the witness, a
 * filtered one verifies through its multi-leaf proof, an altered line or a wrong witness key is
 * refused.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AccessLogAppender, type NewAccessEntry } from '@broker/access-log';
import { mintStaffToken } from '@broker/testing';
import { Ed25519Cosigner, parseCheckpoint, parseNote } from '@broker/transparency';
import { readWitnessConfig } from '../apps/witness/src/witness-config';
import { startWitness, type RunningWitness } from '../apps/witness/src/witness-process';
import { startSimulator, type TestSimulator } from './support/simulators';
import { runCli, startTestBroker, type TestBroker } from './support/test-broker';

const entry = (i: number): NewAccessEntry => ({
  occurredAt: new Date(),
  channel: 'sync',
  memberId: i % 3 === 0 ? 'member-three' : 'member-other',
  purpose: 'e2e',
  consentIssuer: null,
  consentJti: null,
  subject: null,
  itemsRequested: ['name'],
  itemsDisclosed: [],
  outcome: 'REFUSED',
  reasonCode: 'CONSENT_INVALID',
  source: null,
  correlationId: `audit-tlog-e2e-${i}`,
  jobId: null,
});

/** The manifest's claims, decoded (its signature is the verifier's business). */
const claimsOf = (jws: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jws.trim().split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;

describe('auditor exports anchored in the witnessed transparency log', () => {
  let dir: string;
  let rnpp: TestSimulator;
  let witness: RunningWitness;
  let broker: TestBroker;
  let logVkey: string;

  const cli = (args: string[]) => runCli(args, broker.databaseUrl);
  const auditorToken = () =>
    mintStaffToken(broker.trust.s1.key, broker.trust.s1.id, broker.trust.brokerId, 'auditor-tlog-e2e');
  const exportTo = async (file: string, extra: string[] = []) => {
    const r = await cli([
      'audit',
      'export',
      '--url',
      broker.baseUrl,
      '--token',
      await auditorToken(),
      ...extra,
      '--out',
      file,
    ]);
    expect(r).toMatchObject({ code: 0 });
  };
  const verify = (file: string, keys: string[] = ['--log-vkey', logVkey, '--witness-vkey', witness.vkey]) =>
    cli(['audit', 'verify', file, ...keys]);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'audit-tlog-e2e-'));
    rnpp = await startSimulator();
    witness = await startWitness(
      readWitnessConfig({
        BROKER_MODE: 'development',
        WITNESS_PORT: '0',
        WITNESS_DATA_DIR: path.join(dir, 'w1'),
        WITNESS_NAME: 'witness.e2e.test/audit',
        WITNESS_LOG_LEVEL: 'error',
      }),
    );
    broker = await startTestBroker(rnpp.url, { LOG_INTEGRATE_INTERVAL_MS: '50' }, undefined, (doc) => {
      doc.witnesses = [{ name: 'witness.e2e.test/audit', vkey: witness.vkey, url: witness.url }];
      doc.witnessQuorum = 1;
    });
    const appender = broker.app.get(AccessLogAppender);
    for (let i = 0; i < 30; i++) await appender.append(entry(i));
    logVkey = (await (await fetch(`${broker.baseUrl}/log/vkey`)).text()).trim();
  });

  afterAll(async () => {
    await broker?.close();
    await witness?.close();
    await rnpp?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('anchors a complete export in a checkpoint cosigned by the witness; audit verify says so', async () => {
    const file = path.join(dir, 'all.ndjson');
    await exportTo(file);
    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
    const objs = lines.map((l) => JSON.parse(l) as { seq: string; leafIndex: number });
    expect(objs.length).toBeGreaterThanOrEqual(30);
    for (const o of objs) expect(o.leafIndex).toBe(Number(o.seq) - 1);

    const claims = claimsOf(await readFile(`${file}.manifest.jws`, 'utf8'));
    const tlog = claims.tlog as { checkpoint: string; size: number; proof: string[] };
    const cp = parseCheckpoint(parseNote(tlog.checkpoint).text);
    expect(cp.origin).toBe(broker.trust.doc.brokerId);
    expect(cp.size).toBe(tlog.size);
    expect(cp.size).toBeGreaterThanOrEqual(Number(claims.headSeq));
    // only the leaves after the cut (the auditor's own entries) are hashes in the proof
    expect(tlog.proof.length).toBeLessThanOrEqual(Math.ceil(Math.log2(cp.size)) + 1);
    expect(tlog.checkpoint).toContain('— witness.e2e.test/audit ');

    const r = await verify(file);
    expect(r.stdout).toMatch(
      new RegExp(
        `^OK: ${objs.length} entries verified .*; anchored in the transparency log at size ${cp.size}, ` +
          'cosigned by witness.e2e.test/audit',
      ),
    );
    expect(r.code).toBe(0);
    // without keys: the tree math only, said so
    const plain = await verify(file, []);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain("the checkpoint's signatures were not checked");
  });

  it('refuses an altered line: it is not in the log as witnessed', async () => {
    const file = path.join(dir, 'all.ndjson');
    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
    const altered = [...lines];
    altered[10] = altered[10].replace('"purpose":"e2e"', '"purpose":"e2f"');
    expect(altered[10]).not.toBe(lines[10]);
    const copy = path.join(dir, 'altered.ndjson');
    await writeFile(copy, `${altered.join('\n')}\n`);
    await writeFile(`${copy}.manifest.jws`, await readFile(`${file}.manifest.jws`, 'utf8'));
    await writeFile(`${copy}.jwks.json`, await readFile(`${file}.jwks.json`, 'utf8'));
    const r = await verify(copy);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAILED: line 11: content altered/);
    expect(r.stdout).toContain('transparency log: the exported lines are not in the log as witnessed');
  });

  it('verifies a filtered (one member) export through its multi-leaf proof', async () => {
    const file = path.join(dir, 'member.ndjson');
    await exportTo(file, ['--member-id', 'member-three']);
    const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
    expect(lines).toHaveLength(10);
    const claims = claimsOf(await readFile(`${file}.manifest.jws`, 'utf8'));
    expect((claims.tlog as { proof: string[] }).proof.length).toBeGreaterThan(10);
    const r = await verify(file);
    expect(r.stdout).toMatch(/^OK: 10 entries verified .*; anchored in the transparency log at size \d+/);
    expect(r.code).toBe(0);
  });

  it('refuses the checkpoint with a wrong witness key', async () => {
    const other = new Ed25519Cosigner('witness.e2e.test/audit', generateKeyPairSync('ed25519').privateKey);
    const r = await verify(path.join(dir, 'all.ndjson'), [
      '--log-vkey',
      logVkey,
      '--witness-vkey',
      other.vkey,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAILED: transparency log: checkpoint refused: .*\((BAD_SIGNATURE|QUORUM)\)/);
  });
});
