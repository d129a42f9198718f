/**
 * The witness as a process would run it: real HTTP on a free port, a temporary data folder, a
 * restart over the same folder; cosignatures checked by the acceptance tests' Python library.
 */
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ADD_CHECKPOINT_PATH,
  CosignatureV1Verifier,
  Ed25519NoteVerifier,
  parseVkey,
  TLOG_SIZE_CONTENT_TYPE,
  verifyNote,
} from '@broker/transparency';
import { crosscheckUnavailable, crosscheckValues } from '../../../test/support/tlog-crosscheck';
import { forkOf, TestLog } from './test-log';
import { LOG_VKEY_HEADER } from './server';
import { readWitnessConfig, type WitnessConfig } from './witness-config';
import { type RunningWitness, startWitness } from './witness-process';

const made: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'witness-http-'));
  made.push(dir);
  return dir;
};
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function configFor(dataDir: string, env: NodeJS.ProcessEnv): WitnessConfig {
  return readWitnessConfig({
    WITNESS_PORT: '0',
    WITNESS_DATA_DIR: dataDir,
    WITNESS_NAME: 'witness.test/w1',
    ...env,
  });
}

/** Starts a witness whose log lines are kept in `lines`. */
async function start(config: WitnessConfig, lines: string[] = []): Promise<RunningWitness> {
  return startWitness(config, {
    logger: { level: 'info', stream: { write: (line: string) => lines.push(line) } },
  });
}

const noteOf = (body: string): string => body.slice(body.indexOf('\n\n') + 2);

describe('witness over HTTP', () => {
  const running: RunningWitness[] = [];
  const launch = async (config: WitnessConfig, lines?: string[]) => {
    const witness = await start(config, lines);
    running.push(witness);
    return witness;
  };
  afterEach(async () => {
    await Promise.all(running.splice(0).map((w) => w.close()));
  });

  const post = (witness: RunningWitness, body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${witness.url}${ADD_CHECKPOINT_PATH}`, { method: 'POST', body, headers });

  describe('with a configured log (development)', () => {
    const log = new TestLog('broker.test/log').grow(10);
    let dir: string;
    let witness: RunningWitness;
    beforeEach(async () => {
      dir = tempDir();
      witness = await launch(configFor(dir, { BROKER_MODE: 'development', WITNESS_LOGS: log.vkey }));
    });

    it('serves its vkey as text, a cosignature key (type 0x04), and its key file is 0600', async () => {
      const res = await fetch(`${witness.url}/vkey`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const vkey = parseVkey(await res.text());
      expect(vkey).toMatchObject({ name: 'witness.test/w1', type: 0x04 });
      expect(witness.generatedKey).toBe(true);
      expect(statSync(join(dir, 'witness-key.pem')).mode & 0o777).toBe(0o600);
      const health = await (await fetch(`${witness.url}/health`)).json();
      expect(health).toMatchObject({ status: 'ok', name: 'witness.test/w1', mode: 'development', logs: [] });
    });

    it('cosigns, then answers 409 with its size when the old size is stale', async () => {
      const body = await log.request(0);
      const res = await post(witness, body, { 'content-type': 'text/plain' });
      expect(res.status).toBe(200);
      const lines = await res.text();
      expect(verifyNote(noteOf(body) + lines, [new CosignatureV1Verifier(witness.vkey)]).ok).toBe(true);
      const stale = await post(witness, await log.request(0));
      expect(stale.status).toBe(409);
      expect(stale.headers.get('content-type')).toBe(TLOG_SIZE_CONTENT_TYPE);
      expect(await stale.text()).toBe('10\n');
    });

    it('serves the latest checkpoint it cosigned for an origin, with the same cosignature, across a restart (GET /checkpoint/<origin>, an extension)', async () => {
      const at = (w: RunningWitness, origin: string) =>
        fetch(`${w.url}/checkpoint/${encodeURIComponent(origin)}`);
      expect((await at(witness, log.origin)).status).toBe(404);
      const body = await log.request(0);
      const line = await (await post(witness, body)).text();
      const res = await at(witness, log.origin);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const served = await res.text();
      expect(served).toBe(noteOf(body) + line);
      expect(verifyNote(served, [new CosignatureV1Verifier(witness.vkey)]).ok).toBe(true);
      expect(verifyNote(served, [new Ed25519NoteVerifier(log.vkey)]).ok).toBe(true);
      expect((await at(witness, 'nobody.test/log')).status).toBe(404);
      expect((await fetch(`${witness.url}/checkpoint/%E0%A4%A`)).status).toBe(400);
      await witness.close();
      running.splice(running.indexOf(witness), 1);
      witness = await launch(configFor(dir, { BROKER_MODE: 'development', WITNESS_LOGS: log.vkey }));
      expect(await (await at(witness, log.origin)).text()).toBe(served);
    });

    it('accepts the body whatever its content type, or none', async () => {
      expect((await post(witness, Buffer.from(await log.request(0)))).status).toBe(200);
      const again = await log.request(10);
      expect((await post(witness, again, { 'content-type': 'application/octet-stream' })).status).toBe(200);
    });

    it('answers 422 to a bad proof, 404 to an unknown log, 400 to a malformed or non-UTF-8 body, 413 to a huge one, in one line', async () => {
      const other = new TestLog(log.origin, 'other', log.signer).grow(4);
      expect((await post(witness, await other.request(0))).status).toBe(200);
      const lines = (await other.grow(5).request(4)).split('\n');
      lines[1] = Buffer.alloc(32, 1).toString('base64');
      expect((await post(witness, lines.join('\n'))).status).toBe(422);
      expect((await post(witness, await new TestLog('nobody.test/log').grow(1).request(0))).status).toBe(404);
      expect((await post(witness, 'hello\n')).status).toBe(400);
      expect((await post(witness, Buffer.from([0x6f, 0x6c, 0x64, 0x20, 0xff, 0x0a]))).status).toBe(400);
      expect((await post(witness, 'x'.repeat(70 * 1024))).status).toBe(413);
      const text = await (await post(witness, 'hello\n')).text();
      expect(text.trim().split('\n')).toHaveLength(1);
    });

    it('refuses a fork and keeps refusing it after a restart, while the real log goes on', async () => {
      const real = new TestLog('fork.test/log');
      real.grow(6);
      const forkDir = tempDir();
      const config = configFor(forkDir, { BROKER_MODE: 'development', WITNESS_LOGS: real.vkey });
      let w = await launch(config);
      expect((await post(w, await real.request(0))).status).toBe(200);
      const fork = await forkOf(real, 4);
      fork.grow(4);
      expect((await post(w, await fork.request(6))).status).toBe(422);
      await w.close();
      running.splice(running.indexOf(w), 1);
      w = await launch(config);
      expect((await post(w, await fork.request(6))).status).toBe(422);
      const conflict = await post(w, await fork.request(0));
      expect([conflict.status, await conflict.text()]).toEqual([409, '6\n']);
      expect((await post(w, await real.grow(3).request(6))).status).toBe(200);
      expect(readdirSync(join(forkDir, 'logs')).some((f) => f.endsWith('.refused.ndjson'))).toBe(true);
    });

    it('refuses a second witness on the same folder', async () => {
      await expect(
        start(configFor(dir, { BROKER_MODE: 'development', WITNESS_LOGS: log.vkey })),
      ).rejects.toThrow(/in use by another witness/);
    });
  });

  it('in development without WITNESS_LOGS, pins the first key it sees and says so in its log', async () => {
    const lines: string[] = [];
    const witness = await launch(configFor(tempDir(), { BROKER_MODE: 'development' }), lines);
    expect(lines.join('')).toMatch(/trust on first use/);
    const log = new TestLog('tofu.test/log').grow(3);
    expect((await post(witness, await log.request(0))).status).toBe(404);
    expect((await post(witness, await log.request(0), { [LOG_VKEY_HEADER]: log.vkey })).status).toBe(200);
    expect(lines.filter((l) => /pinned the key/.test(l)).map((l) => JSON.parse(l).logVkey)).toEqual([
      log.vkey,
    ]);
    const impostor = new TestLog(log.origin).grow(5);
    expect(
      (await post(witness, await impostor.request(3), { [LOG_VKEY_HEADER]: impostor.vkey })).status,
    ).toBe(403);
  });

  it('in production, refuses to start without its key, and starts with a provisioned one', async () => {
    const dir = tempDir();
    const log = new TestLog('prod.test/log');
    const production = configFor(dir, { WITNESS_LOGS: log.vkey });
    await expect(start(production)).rejects.toThrow(/witness key .* not found/);
    expect(readdirSync(dir)).not.toContain('witness-key.pem');
    // a key provisioned by the operator (here: the one a development start generated)
    const dev = await start(configFor(dir, { BROKER_MODE: 'development', WITNESS_LOGS: log.vkey }));
    await dev.close();
    const witness = await launch(production);
    expect(witness.vkey).toBe(dev.vkey);
    expect(witness.generatedKey).toBe(false);
  });

  it('refuses to start over a record it cannot read', async () => {
    const dir = tempDir();
    const log = new TestLog('corrupt.test/log').grow(2);
    const config = configFor(dir, { BROKER_MODE: 'development', WITNESS_LOGS: log.vkey });
    const w = await start(config);
    await post(w, await log.request(0));
    await w.close();
    const [file] = readdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs', file), '{');
    await expect(start(config)).rejects.toThrow(/unreadable/);
  });

  const unavailable = crosscheckUnavailable();
  (unavailable === undefined ? it : it.skip)(
    'returns cosignatures that the acceptance Python library verifies',
    async () => {
      const log = new TestLog('python.test/log').grow(7);
      const witness = await launch(
        configFor(tempDir(), { BROKER_MODE: 'development', WITNESS_LOGS: log.vkey }),
      );
      const body = await log.request(0);
      const lines = await (await post(witness, body)).text();
      const other = new TestLog('python.test/log');
      expect(
        crosscheckValues([
          { kind: 'cosigned_by', note: noteOf(body) + lines, vkey: witness.vkey },
          { kind: 'signed_by', note: noteOf(body) + lines, vkey: log.vkey },
          { kind: 'signed_by', note: noteOf(body) + lines, vkey: other.vkey },
          { kind: 'vkey', vkey: witness.vkey },
        ]),
      ).toEqual([true, true, false, expect.objectContaining({ name: 'witness.test/w1', type: 4 })]);
    },
  );
});
