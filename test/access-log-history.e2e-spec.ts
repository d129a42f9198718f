/**
 * `access-log verify` against the witnessed transparency log (issue 12): a real gateway whose
 * integrator has a real witness (apps/witness, in-process, trust on first use) cosign its
 * checkpoints, real requests, then an insider with superuser rights (triggers off) rewrites a
 * covered entry and re-chains everything after it, or deletes the tail and resets the head, the
 * tree head, the checkpoints and the witness states to match, or has a broker-signed checkpoint of
 * another history cosigned by a second witness. The CLI (built binary) reports `rewritten`,
 * `truncated` and `forked`, naming the anchor and the size; an honest log is OK against all of them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { AccessLogRepository, entryHash, type AccessEntry } from '@broker/access-log';
import { openDatabase } from '@broker/database';
import { LogIntegrator, loadOrCreateNoteKey } from '@broker/log-tree';
import { GRANTED_PURPOSE, mintConsent, mintMemberAssertion, sql } from '@broker/testing';
import {
  ADD_CHECKPOINT_PATH,
  Ed25519NoteSigner,
  formatAddCheckpointRequest,
  leafHash,
  parseCheckpoint,
  parseNote,
  rootOfLeafHashes,
  signCheckpoint,
} from '@broker/transparency';
import { leafBytes } from '@broker/access-log';
import { readWitnessConfig } from '../apps/witness/src/witness-config';
import { startWitness, type RunningWitness } from '../apps/witness/src/witness-process';
import {
  NOWHERE,
  gql,
  personQuery,
  runCli,
  startSimulator,
  startTestBroker,
  type TestBroker,
  type TestSimulator,
} from './support/test-broker';

interface Problem {
  reason: string;
  anchor: string;
  size: number;
  detail: string;
}
interface VerifyDoc {
  ok: boolean;
  entries: number;
  head: string;
  firstBroken: number | null;
  tree: {
    size: number;
    root: string;
    checkedAgainst: { source: string; name: string; size: number; signedBy: string[]; result: string }[];
    problem: Problem | null;
    problems: Problem[];
    notes: string[];
  };
}

const ENTRIES = 20;
const TABLES = ['access_log', 'access_log_head', 'log_tree_head', 'log_checkpoint', 'log_witness_state'];

async function waitFor<T>(what: string, probe: () => Promise<T | null>, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const v = await probe();
    if (v !== null) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('access-log verify against cosigned checkpoints and the witnesses (gateway + witness + PostgreSQL)', () => {
  let dir: string;
  let sim: TestSimulator;
  let w1: RunningWitness;
  let broker: TestBroker;
  let cliEnv: Record<string, string>;
  const snapshot = new Map<string, Record<string, unknown>[]>();

  const startTestWitness = (name: string) =>
    startWitness(
      readWitnessConfig({
        BROKER_MODE: 'development',
        WITNESS_PORT: '0',
        WITNESS_DATA_DIR: path.join(dir, name),
        WITNESS_NAME: `witness.e2e.test/${name}`,
        WITNESS_LOG_LEVEL: 'error',
      }),
    );

  /** A trust file for the CLI: the gateway's, with other witnesses. */
  const trustWith = async (name: string, witnesses: { name: string; vkey: string; url: string }[]) => {
    const file = path.join(dir, `${name}.json`);
    await writeFile(file, JSON.stringify({ ...broker.trust.doc, witnesses, witnessQuorum: 1 }));
    return file;
  };

  const verify = async (extra: string[] = [], env: Record<string, string> = {}) => {
    const r = await runCli(['access-log', 'verify', '--json', ...extra], broker.databaseUrl, {
      ...cliEnv,
      ...env,
    });
    return {
      code: r.code,
      doc: JSON.parse(r.stdout.trim().split('\n').pop() as string) as VerifyDoc,
      stderr: r.stderr,
    };
  };

  /** SQL as a superuser with triggers off: what an insider with the database's rights can do. */
  const tamper = async (text: string, params: unknown[] = []) => {
    const c = new Client({ connectionString: broker.databaseUrl });
    await c.connect();
    try {
      await c.query('SET session_replication_role = replica');
      await c.query(text, params);
    } finally {
      await c.end();
    }
  };

  const request = async (i: number) => {
    const t = broker.trust;
    const m = sim.population.list(0, 20)[i % 20];
    const consent = await mintConsent(t.i1.key, {
      issuer: t.i1.id,
      subject: m,
      audience: t.m1.id,
      purpose: GRANTED_PURPOSE,
      scope: ['name'],
    });
    const r = await gql(
      broker.graphqlUrl,
      personQuery('surname'),
      { m },
      {
        authorization: `Bearer ${await mintMemberAssertion(t.m1.key, t.m1.id, t.brokerId)}`,
        'consent-token': consent,
        'x-correlation-id': `history-${i}-${randomUUID()}`,
      },
    );
    expect(r.status).toBe(200);
  };

  const entries = async (): Promise<AccessEntry[]> => {
    const ds = await openDatabase(broker.databaseUrl, { migrate: false, poolSize: 1 });
    try {
      return await new AccessLogRepository(ds).exportPage(
        {},
        { seq: 0n, occurredAt: null },
        1_000_000n,
        1000,
      );
    } finally {
      await ds.destroy();
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'history-e2e-'));
    sim = await startSimulator();
    w1 = await startTestWitness('w1');
    broker = await startTestBroker(sim.url, { LOG_INTEGRATE_INTERVAL_MS: '50' }, undefined, (doc) => {
      doc.witnesses = [{ name: w1.vkey.split('+')[0], vkey: w1.vkey, url: w1.url }];
      doc.witnessQuorum = 1;
    });
    cliEnv = { BROKER_TRUST_FILE: broker.trust.file, BROKER_NOTE_KEY_FILE: broker.env.BROKER_NOTE_KEY_FILE };
    for (let i = 0; i < ENTRIES; i++) await request(i);
    // the last entry cosigned by the witness and recorded so: then the integrator stops, so that
    // it does not react to the tampering below (an insider would have stopped it too)
    await waitFor('a cosigned checkpoint of every entry', async () => {
      const [s] = await sql<{ size: string }>(broker.databaseUrl, 'SELECT size FROM log_witness_state');
      const r = await fetch(`${broker.baseUrl}/log/checkpoint`);
      if (r.status !== 200 || Number(s?.size) !== ENTRIES) return null;
      return parseCheckpoint(parseNote(await r.text()).text).size === ENTRIES ? true : null;
    });
    await broker.app.get(LogIntegrator).stop();
    for (const t of TABLES) snapshot.set(t, await sql(broker.databaseUrl, `SELECT * FROM ${t}`));
  });

  afterEach(async () => {
    // every table back exactly as it was, then the verifier agrees again (one that always failed would fail here)
    for (const t of TABLES) {
      await tamper(`DELETE FROM ${t}`);
      for (const row of snapshot.get(t) ?? []) {
        const cols = Object.keys(row);
        await sql(
          broker.databaseUrl,
          `INSERT INTO ${t} (${cols.join(', ')}) VALUES (${cols.map((_, k) => `$${k + 1}`).join(', ')})`,
          Object.values(row),
        );
      }
    }
    expect((await verify()).doc.ok).toBe(true);
  });

  afterAll(async () => {
    await broker?.close();
    await w1?.close();
    await sim?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('an honest log is OK, listing what it was checked against: the published checkpoint, the tree head, the witness state, the witness, a saved file', async () => {
    const saved = path.join(dir, 'saved.checkpoint');
    await writeFile(saved, await (await fetch(`${broker.baseUrl}/log/checkpoint`)).text());
    const { code, doc } = await verify(['--checkpoint', saved]);
    expect(code).toBe(0);
    expect(doc).toMatchObject({
      ok: true,
      entries: ENTRIES,
      firstBroken: null,
      tree: { size: ENTRIES, problem: null },
    });
    const witness = w1.vkey.split('+')[0];
    const origin = broker.trust.doc.brokerId;
    expect(doc.tree.checkedAgainst).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          source: 'log_checkpoint',
          name: 'latest published',
          size: ENTRIES,
          signedBy: [origin, witness],
        }),
        expect.objectContaining({ source: 'log_tree_head', size: ENTRIES, signedBy: [] }),
        expect.objectContaining({
          source: 'log_witness_state',
          name: witness,
          size: ENTRIES,
          signedBy: [origin, witness],
        }),
        expect.objectContaining({
          source: 'witness',
          name: witness,
          size: ENTRIES,
          signedBy: [origin, witness],
        }),
        expect.objectContaining({ source: 'file', name: saved, size: ENTRIES }),
      ]),
    );
    expect(doc.tree.checkedAgainst.every((a) => a.result === 'consistent')).toBe(true);
    const text = await runCli(['access-log', 'verify'], broker.databaseUrl, cliEnv);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^access log OK: 20 entries/m);
    expect(text.stdout).toContain(`witness ${witness} (size 20, signed by ${origin}, ${witness})`);
  });

  it('rewritten: a covered entry changed and every later link re-chained, the head moved to match (the chain alone says OK)', async () => {
    const all = await entries();
    let prevHash = all[3].hash;
    for (const e of all.slice(4)) {
      const changed = { ...e, purpose: e.seq === '5' ? 'P-REWRITTEN' : e.purpose, prevHash };
      const hash = entryHash(changed);
      await tamper('UPDATE access_log SET purpose = $1, prev_hash = $2, hash = $3 WHERE seq = $4', [
        changed.purpose,
        prevHash,
        hash,
        e.seq,
      ]);
      prevHash = hash;
    }
    await tamper('UPDATE access_log_head SET hash = $1', [prevHash]);
    const { code, doc } = await verify();
    expect(code).toBe(1);
    // the chain is consistent: only the tree sees the rewrite
    expect(doc).toMatchObject({
      ok: false,
      firstBroken: null,
      tree: { problem: { reason: 'rewritten', size: ENTRIES } },
    });
    const rewritten = doc.tree.checkedAgainst.filter((a) => a.result === 'rewritten').map((a) => a.source);
    expect(rewritten).toEqual(expect.arrayContaining(['log_checkpoint', 'witness', 'log_witness_state']));
    const text = await runCli(['access-log', 'verify'], broker.databaseUrl, cliEnv);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^history REWRITTEN: at size 20 the entries make root/m);
  });

  it('truncated: the tail deleted and the head, tree head, checkpoints and witness states reset to match; the witness still holds the old size', async () => {
    const keep = 12;
    const all = await entries();
    await tamper(`DELETE FROM access_log WHERE seq > ${keep}`);
    await tamper('UPDATE access_log_head SET seq = $1, hash = $2', [keep, all[keep - 1].hash]);
    const root = rootOfLeafHashes(all.slice(0, keep).map((e) => leafHash(leafBytes(e))));
    await tamper('UPDATE log_tree_head SET size = $1, root = $2', [keep, root]);
    await tamper(`DELETE FROM log_checkpoint WHERE size > ${keep}`);
    await tamper(`DELETE FROM log_witness_state WHERE size > ${keep}`);
    const { code, doc } = await verify();
    expect(code).toBe(1);
    const witness = w1.vkey.split('+')[0];
    expect(doc).toMatchObject({
      ok: false,
      entries: keep,
      firstBroken: null,
      tree: { problem: { reason: 'truncated', anchor: `witness ${witness}`, size: ENTRIES } },
    });
    expect(doc.tree.problem?.detail).toContain(`holds size ${ENTRIES}, but the log holds ${keep} entries`);
    // what remains in the database agrees with itself
    expect(
      doc.tree.checkedAgainst.filter((a) => a.source !== 'witness').every((a) => a.result === 'consistent'),
    ).toBe(true);
  });

  it('forked: a checkpoint of the same size with another root, signed with the broker key, that a second witness holds', async () => {
    const w2 = await startTestWitness('w2');
    try {
      const origin = broker.trust.doc.brokerId;
      const signer = new Ed25519NoteSigner(
        origin,
        loadOrCreateNoteKey(broker.env.BROKER_NOTE_KEY_FILE, 'production'),
      );
      const note = signCheckpoint(
        { origin, size: ENTRIES, rootHash: randomBytes(32), extensions: [] },
        signer,
      );
      const r = await fetch(`${w2.url}${ADD_CHECKPOINT_PATH}`, {
        method: 'POST',
        headers: { 'log-vkey': signer.vkey },
        body: formatAddCheckpointRequest(0, [], note),
      });
      expect(r.status).toBe(200);
      const name = (w: RunningWitness) => w.vkey.split('+')[0];
      const trust = await trustWith('forked', [
        { name: name(w1), vkey: w1.vkey, url: w1.url },
        { name: name(w2), vkey: w2.vkey, url: w2.url },
      ]);
      const { code, doc } = await verify([], { BROKER_TRUST_FILE: trust });
      expect(code).toBe(1);
      expect(doc.tree.problem).toMatchObject({ reason: 'forked', size: ENTRIES });
      expect(doc.tree.problem?.anchor).toContain(`witness ${name(w2)}`);
      expect(doc.tree.problems.map((p) => p.reason)).toContain('rewritten');
    } finally {
      await w2.close();
    }
  });

  it('a witness that cannot be asked is a note, and a failure with --require-witnesses', async () => {
    const lost = await startTestWitness('lost');
    await lost.close();
    const trust = await trustWith('unreachable', [
      { name: w1.vkey.split('+')[0], vkey: w1.vkey, url: w1.url },
      { name: lost.vkey.split('+')[0], vkey: lost.vkey, url: NOWHERE },
    ]);
    const lenient = await verify([], { BROKER_TRUST_FILE: trust });
    expect(lenient.code).toBe(0);
    expect(lenient.doc.tree.notes.join('\n')).toMatch(/witness witness\.e2e\.test\/lost: unreachable/);
    const strict = await verify(['--require-witnesses'], { BROKER_TRUST_FILE: trust });
    expect(strict.code).toBe(1);
    expect(strict.doc.tree.problem).toMatchObject({
      reason: 'witness-unavailable',
      anchor: 'witness witness.e2e.test/lost',
    });
  });
});
