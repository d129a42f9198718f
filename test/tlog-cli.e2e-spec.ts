/**
 * `proof verify` and `log monitor` as an auditor or a citizen runs them: the built CLI as a process,
 * against a log served over real HTTP (port 0) from an in-memory Merkle tree, with log and witness
 * keys generated here. The exit code is the verdict: 0 OK, 1 FAIL, 2 bad usage.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ed25519Cosigner, Ed25519NoteSigner, encodeBase64 } from '@broker/transparency';
import { runCli } from './support/test-broker';
import { serveTestLog, TestLog, type TestLogEndpoints, testKey } from './support/test-tlog';

// these commands never open the database: the URL only satisfies the CLI's configuration
const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/unused_by_tlog_cli';
const cli = (...args: string[]) => runCli(args, DATABASE_URL);
const lines = (text: string) => text.trim().split('\n');

describe('log monitor (built CLI) against a log over HTTP', () => {
  const w1 = new Ed25519Cosigner('witness.test.lu/w1', testKey());
  const log = new TestLog('broker.test.lu/access-log', [w1]).append(10);
  const dir = mkdtempSync(join(tmpdir(), 'tlog-monitor-'));
  const state = join(dir, 'monitor.json');
  let endpoints: TestLogEndpoints;
  let server: Server;
  let url: string;
  let requests: string[];

  beforeAll(async () => {
    endpoints = { checkpoint: await log.checkpoint(), vkey: log.signer.vkey };
    ({ server, url, requests } = await serveTestLog(log, endpoints));
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const monitor = (...extra: string[]) => cli('log', 'monitor', '--url', url, '--state', state, ...extra);
  const stateText = () => readFileSync(state, 'utf8');

  it('trusts the log key on the first run, says so, and keeps the checkpoint', async () => {
    const r = await monitor();
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([
      expect.stringMatching(/^OK: first checkpoint of broker.test.lu\/access-log at size 10, root /),
    ]);
    expect(r.stderr).toMatch(/trusted the log key .* on first use/);
    expect(requests).toEqual(['/log/vkey', '/log/checkpoint']);
    expect(JSON.parse(stateText())).toMatchObject({ origin: log.origin, vkey: log.signer.vkey, size: 10 });
    expect(readdirSync(dir)).toEqual(['monitor.json']);
  });

  it('accepts a consistent growth, with the checkpoint address as --url and the witness required', async () => {
    log.append(7);
    endpoints.checkpoint = await log.checkpoint();
    requests.length = 0;
    const r = await cli(
      'log',
      'monitor',
      '--url',
      `${url}/log/checkpoint`,
      '--state',
      state,
      '--witness-vkey',
      w1.vkey,
    );
    expect({ code: r.code, out: r.stdout.trim() }).toEqual({
      code: 0,
      out: 'OK: broker.test.lu/access-log size 10 -> 17, consistent, cosigned by witness.test.lu/w1',
    });
    expect(requests).toEqual(['/log/checkpoint', '/log/consistency?from=10&to=17']);
    expect(JSON.parse(stateText())).toMatchObject({ size: 17 });
  });

  it('fails on a rollback and keeps the state it had', async () => {
    const before = stateText();
    endpoints.checkpoint = await log.checkpoint(12);
    const r = await monitor();
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toEqual([
      expect.stringMatching(/^FAIL: rollback: .* serves size 12, below size 17/),
    ]);
    expect(stateText()).toBe(before);
  });

  it('fails on a fork at the same size', async () => {
    const other = new TestLog(log.origin, [w1], log.signer).append(17);
    endpoints.checkpoint = await other.checkpoint();
    const r = await monitor();
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toMatch(
      /^FAIL: fork: broker.test.lu\/access-log at size 17 has root \S+, not \S+ seen at/,
    );
  });

  it('fails on a fork that a bad consistency proof would hide', async () => {
    const before = stateText();
    log.append(5);
    endpoints.checkpoint = await log.checkpoint();
    endpoints.consistency = async (from, to) => (await log.tree.consistencyProof(from, to)).reverse();
    const r = await monitor();
    endpoints.consistency = undefined;
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toMatch(
      /^FAIL: fork \(inconsistent\): .* at size 22 does not extend the tree of size 17/,
    );
    expect(stateText()).toBe(before);
  });

  it('fails on a checkpoint signed by another key, or whose signature does not verify', async () => {
    const impostor = new Ed25519NoteSigner(log.origin, testKey());
    endpoints.checkpoint = await log.checkpoint(undefined, [w1], impostor);
    const r = await monitor();
    expect(r.code).toBe(1);
    expect(r.stdout.trim()).toMatch(/^FAIL: the checkpoint .* is not signed by the log key/);
    endpoints.checkpoint = (await log.checkpoint()).replace(/\n22\n/, '\n23\n');
    const s = await monitor();
    expect(s.code).toBe(1);
    expect(s.stdout.trim()).toMatch(/^FAIL: bad checkpoint signature: .* does not verify/);
  });

  it('fails with one line when the log cannot be read', async () => {
    endpoints.checkpointStatus = 503;
    const r = await monitor();
    endpoints.checkpointStatus = undefined;
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toEqual([expect.stringMatching(/^FAIL: http:.*\/log\/checkpoint: HTTP 503/)]);
    const closed = await cli('log', 'monitor', '--url', 'http://127.0.0.1:9', '--state', state);
    expect(closed.code).toBe(1);
    expect(lines(closed.stdout)).toEqual([
      expect.stringMatching(/^FAIL: cannot reach http:\/\/127.0.0.1:9\/log\/checkpoint: /),
    ]);
    expect(closed.stderr).toBe('');
  });

  it('still accepts the honest log afterwards', async () => {
    endpoints.checkpoint = await log.checkpoint();
    const r = await monitor();
    expect({ code: r.code, out: r.stdout.trim() }).toEqual({
      code: 0,
      out: 'OK: broker.test.lu/access-log size 17 -> 22, consistent',
    });
  });

  it('refuses a --log-vkey other than the pinned one, and exits 2 on bad usage', async () => {
    const other = new Ed25519NoteSigner(log.origin, testKey());
    const r = await monitor('--log-vkey', other.vkey);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL: --log-vkey is not the log key pinned in the state file/);
    for (const args of [
      ['log', 'monitor', '--state', state],
      ['log', 'monitor', '--url', url],
      ['log', 'monitor', '--url', url, '--state', state, '--quorum', '1'],
      ['log', 'monitor', '--url', url, '--state', state, '--log-vkey', w1.vkey],
      ['log', 'monitor', '--url', url, '--state', state, '--bogus'],
    ]) {
      const u = await cli(...args);
      expect({ args, code: u.code }).toEqual({ args, code: 2 });
      expect(u.stderr).toMatch(/usage: log monitor --url URL --state FILE/);
    }
  });
});

describe('proof verify (built CLI)', () => {
  const w1 = new Ed25519Cosigner('witness.test.lu/w1', testKey());
  const w2 = new Ed25519Cosigner('witness.test.lu/w2', testKey());
  const log = new TestLog('broker.test.lu/access-log', [w1, w2]).append(25);
  const dir = mkdtempSync(join(tmpdir(), 'tlog-proof-'));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const verify = (proof: string, ...extra: string[]) =>
    cli(
      'proof',
      'verify',
      proof,
      '--log-vkey',
      log.signer.vkey,
      '--witness-vkey',
      w1.vkey,
      '--witness-vkey',
      w2.vkey,
      ...extra,
    );

  it('accepts a proof cosigned by every witness, with keys given as text or as files', async () => {
    const proof = file('entry.tlog-proof', await log.proof(13));
    const r = await verify(proof);
    expect({ code: r.code, out: r.stdout }).toEqual({
      code: 0,
      out: 'OK: entry 13 is in broker.test.lu/access-log at size 25, cosigned by witness.test.lu/w1, witness.test.lu/w2\n',
    });
    const logKey = file('log.vkey', `${log.signer.vkey}\n`);
    const w1Key = file('w1.vkey', `${w1.vkey}\n`);
    const s = await cli(
      'proof',
      'verify',
      proof,
      '--log-vkey',
      logKey,
      '--witness-vkey',
      w1Key,
      '--quorum',
      '1',
    );
    expect(s.stdout).toBe(
      'OK: entry 13 is in broker.test.lu/access-log at size 25, cosigned by witness.test.lu/w1\n',
    );
  });

  it('rejects a proof whose extra line (the entry) was changed', async () => {
    const text = await log.proof(4);
    const changed = Buffer.from(log.leaves[4].toString().replace('"i":4', '"i":5'));
    const r = await verify(
      file('tampered.tlog-proof', text.replace(encodeBase64(log.leaves[4]), encodeBase64(changed))),
    );
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toEqual([
      expect.stringMatching(/^FAIL: the inclusion proof of leaf 4 .* \(INCLUSION\)$/),
    ]);
  });

  it('rejects a proof cosigned by a witness that is not trusted', async () => {
    const stranger = new Ed25519Cosigner('witness.test.lu/w3', testKey());
    const proof = file('stranger.tlog-proof', await log.proof(1, 25, await log.checkpoint(25, [stranger])));
    const r = await verify(proof, '--quorum', '1');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('FAIL: cosigned by 0 trusted witnesses, the quorum is 1 (QUORUM)\n');
  });

  it('rejects a proof below the quorum (all given witnesses by default)', async () => {
    const proof = file('one.tlog-proof', await log.proof(2, 25, await log.checkpoint(25, [w1])));
    const r = await verify(proof);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('FAIL: cosigned by 1 trusted witness, the quorum is 2 (QUORUM)\n');
    expect((await verify(proof, '--quorum', '1')).code).toBe(0);
  });

  it('exits 1 for a missing file and 2 on bad usage', async () => {
    const missing = await verify(join(dir, 'missing.tlog-proof'));
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/^FAIL: cannot read .*: no such file\n$/);
    const proof = file('usage.tlog-proof', await log.proof(0));
    for (const args of [
      ['proof', 'verify'],
      ['proof', 'verify', proof, '--witness-vkey', w1.vkey],
      ['proof', 'verify', proof, '--log-vkey', log.signer.vkey],
      ['proof', 'verify', proof, '--log-vkey', w1.vkey, '--witness-vkey', w1.vkey],
      ['proof', 'verify', proof, '--log-vkey', log.signer.vkey, '--witness-vkey', w1.vkey, '--quorum', '2'],
      ['proof', 'verify', proof, '--log-vkey', 'no-such-file', '--witness-vkey', w1.vkey],
    ]) {
      const u = await cli(...args);
      expect({ args, code: u.code, out: u.stdout }).toEqual({ args, code: 2, out: '' });
      expect(u.stderr).toMatch(/usage: proof verify FILE --log-vkey VKEY --witness-vkey VKEY/);
    }
  });
});
