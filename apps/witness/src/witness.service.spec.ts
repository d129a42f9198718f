import { generateKeyPairSync } from 'node:crypto';
import {
  CosignatureV1Verifier,
  Ed25519Cosigner,
  Ed25519NoteSigner,
  formatAddCheckpointRequest,
  parseNote,
  parseTlogSize,
  parseVkey,
  TLOG_SIZE_CONTENT_TYPE,
  verifyNote,
} from '@broker/transparency';
import { forkOf, TestLog } from './test-log';
import type { WitnessLogState, WitnessStateStore } from './witness-state.store';
import { type WitnessLogger, WitnessService } from './witness.service';

/** Records in memory; `saveDelayMs` widens race windows, `failSaves` simulates a full disk. */
class MemoryStore implements WitnessStateStore {
  readonly states = new Map<string, WitnessLogState>();
  readonly refusals: Record<string, unknown>[] = [];
  saveDelayMs = 0;
  failSaves = false;

  get(origin: string) {
    return this.states.get(origin);
  }
  all() {
    return [...this.states.values()];
  }
  async save(state: WitnessLogState) {
    await new Promise((resolve) => setTimeout(resolve, this.saveDelayMs));
    if (this.failSaves) throw new Error('disk full');
    this.states.set(state.origin, state);
  }
  async recordRefusal(origin: string, evidence: Record<string, unknown>) {
    this.refusals.push({ origin, ...evidence });
  }
}

const silentLogger = (): WitnessLogger & { warnings: string[] } => {
  const warnings: string[] = [];
  return { warnings, info: () => undefined, warn: (_d, m) => warnings.push(m), error: () => undefined };
};

const NOW = 1_800_000_000;

function setup(options: { logs?: string[]; trustOnFirstUse?: boolean } = {}) {
  const log = new TestLog();
  const store = new MemoryStore();
  const logger = silentLogger();
  const cosigner = new Ed25519Cosigner('witness.test', generateKeyPairSync('ed25519').privateKey, () => NOW);
  const service = new WitnessService({
    cosigner,
    store,
    logs: (options.logs ?? [log.vkey]).map(parseVkey),
    trustOnFirstUse: options.trustOnFirstUse ?? false,
    logger,
    clock: () => NOW,
  });
  const cosignedBy = async (body: string, answer: string): Promise<boolean> => {
    const note = body.slice(body.indexOf('\n\n') + 2);
    return verifyNote(note + answer, [new CosignatureV1Verifier(cosigner.vkey)]).ok;
  };
  return { log, store, logger, cosigner, service, cosignedBy };
}

describe('WitnessService.addCheckpoint', () => {
  describe('cosigns', () => {
    it('the first checkpoint of a known log (old size 0, empty proof)', async () => {
      const { log, service, store, cosignedBy } = setup();
      const body = await log.grow(5).request(0);
      const answer = await service.addCheckpoint(body);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatch(/^— witness\.test \S+\n$/);
      expect(await cosignedBy(body, answer.body)).toBe(true);
      expect(store.get(log.origin)).toMatchObject({
        size: 5,
        cosignedAt: NOW,
        logVkey: log.vkey,
        pinned: false,
      });
    });

    it('each checkpoint that a consistency proof shows to extend the last one', async () => {
      const { log, service, store } = setup();
      let size = 0;
      for (const grow of [1, 1, 2, 5, 8, 100, 3]) {
        const body = await log.grow(grow).request(size);
        expect((await service.addCheckpoint(body)).status).toBe(200);
        size = log.tree.size;
        expect(store.get(log.origin)?.size).toBe(size);
      }
    });

    it('the same checkpoint again (same size and root, empty proof)', async () => {
      const { log, service } = setup();
      await service.addCheckpoint(await log.grow(4).request(0));
      expect((await service.addCheckpoint(await log.request(4))).status).toBe(200);
    });

    it('a checkpoint signed by any configured key of the origin (key rotation)', async () => {
      const log = new TestLog();
      const next = new Ed25519NoteSigner(log.origin, generateKeyPairSync('ed25519').privateKey);
      const { service } = setup({ logs: [log.vkey, next.vkey] });
      const note = await log.grow(3).checkpoint(3, next);
      expect((await service.addCheckpoint(formatAddCheckpointRequest(0, [], note))).status).toBe(200);
    });
  });

  describe('refuses', () => {
    it('with 409 and its size as text/x.tlog.size when the old size is not the size it cosigned', async () => {
      const { log, service } = setup();
      await service.addCheckpoint(await log.grow(5).request(0));
      const answer = await service.addCheckpoint(await log.grow(3).request(2));
      expect(answer).toEqual({ status: 409, contentType: TLOG_SIZE_CONTENT_TYPE, body: '5\n' });
      expect(parseTlogSize(answer.body)).toBe(5);
      const fresh = await service.addCheckpoint(await log.request(0));
      expect(fresh.body).toBe('5\n');
    });

    it('with 409 (size 0) a first checkpoint sent with an old size', async () => {
      const { log, service } = setup();
      expect(await service.addCheckpoint(await log.grow(5).request(3))).toMatchObject({
        status: 409,
        body: '0\n',
      });
    });

    it('with 422 a consistency proof that does not verify, and keeps the evidence', async () => {
      const { log, service, store } = setup();
      await service.addCheckpoint(await log.grow(5).request(0));
      const body = await log.grow(6).request(5);
      const lines = body.split('\n');
      lines[1] = Buffer.alloc(32, 7).toString('base64');
      const answer = await service.addCheckpoint(lines.join('\n'));
      expect(answer.status).toBe(422);
      expect(store.get(log.origin)?.size).toBe(5);
      expect(store.refusals).toHaveLength(1);
      expect(store.refusals[0]).toMatchObject({
        origin: log.origin,
        oldSize: 5,
        reason: expect.stringMatching(/consistency/),
      });
    });

    it('with 422 a proof sent with old size 0', async () => {
      const { log, service } = setup();
      const body = formatAddCheckpointRequest(0, [Buffer.alloc(32)], await log.grow(3).checkpoint());
      expect((await service.addCheckpoint(body)).status).toBe(422);
    });

    it('with 409 another root at the size it cosigned (a fork), and keeps the evidence', async () => {
      const { log, service, store } = setup();
      await service.addCheckpoint(await log.grow(8).request(0));
      const fork = await forkOf(log, 3);
      fork.grow(5);
      const answer = await service.addCheckpoint(await fork.request(8));
      expect(answer.status).toBe(409);
      expect(answer.contentType).not.toBe(TLOG_SIZE_CONTENT_TYPE);
      expect(answer.body).toMatch(/forked/);
      expect(store.refusals).toHaveLength(1);
    });

    it('every later checkpoint of a forked history, and still cosigns the real one', async () => {
      const { log, service, store } = setup();
      await service.addCheckpoint(await log.grow(8).request(0));
      const fork = await forkOf(log, 5);
      fork.grow(10);
      // the fork's own proofs are valid in its own history, but not from the checkpoint the witness holds
      expect((await service.addCheckpoint(await fork.request(8))).status).toBe(422);
      fork.grow(20);
      expect((await service.addCheckpoint(await fork.request(8))).status).toBe(422);
      expect((await service.addCheckpoint(await fork.request(0))).status).toBe(409);
      expect(store.get(log.origin)?.size).toBe(8);
      expect((await service.addCheckpoint(await log.grow(2).request(8))).status).toBe(200);
    });

    it('with 404 an origin it does not witness', async () => {
      const { service } = setup();
      const other = new TestLog('elsewhere.test/log');
      expect(await service.addCheckpoint(await other.grow(2).request(0))).toMatchObject({ status: 404 });
    });

    it('with 403 a checkpoint signed by another key under the origin', async () => {
      const { log, service } = setup();
      const impostor = new TestLog(log.origin);
      expect((await service.addCheckpoint(await impostor.grow(2).request(0))).status).toBe(403);
    });

    it('with 403 a checkpoint whose known signature does not verify', async () => {
      const { log, service } = setup();
      const body = (await log.grow(2).request(0)).replace(/\n2\n/, '\n3\n');
      expect(await service.addCheckpoint(body)).toMatchObject({
        status: 403,
        body: expect.stringMatching(/does not verify/),
      });
    });

    it('with 400 an old size above the checkpoint size', async () => {
      const { log, service } = setup();
      const body = formatAddCheckpointRequest(9, [], await log.grow(3).checkpoint());
      expect(await service.addCheckpoint(body)).toMatchObject({
        status: 400,
        body: expect.stringMatching(/above/),
      });
    });

    it.each([
      ['an empty body', ''],
      ['no old line', 'new 0\n\nx\n'],
      ['a leading zero', 'old 01\n\n'],
      ['a proof line that is not base64', 'old 1\n!!!\n\n'],
      ['a proof line that is not a hash', `old 1\n${Buffer.alloc(31).toString('base64')}\n\n`],
      ['64 proof lines', `old 1\n${`${Buffer.alloc(32).toString('base64')}\n`.repeat(64)}\n`],
      ['no empty line', 'old 0\n'],
      ['no checkpoint', 'old 0\n\n'],
    ])('with 400 a malformed body: %s', async (_label, body) => {
      const { service } = setup();
      expect((await service.addCheckpoint(body)).status).toBe(400);
    });

    it('with 400 a checkpoint that is not a checkpoint', async () => {
      const { log, service } = setup();
      const note = await log.grow(1).checkpoint();
      const text = parseNote(note).text;
      const body = formatAddCheckpointRequest(0, [], note.replace(text, `${log.origin}\nmany\nroot\n`));
      expect((await service.addCheckpoint(body)).status).toBe(400);
    });
  });

  describe('persists before it cosigns', () => {
    it('so that no cosignature leaves when the record cannot be saved', async () => {
      const { log, service, store, cosigner } = setup();
      const sign = jest.spyOn(cosigner, 'cosignatureLine');
      store.failSaves = true;
      await expect(service.addCheckpoint(await log.grow(3).request(0))).rejects.toThrow('disk full');
      expect(sign).not.toHaveBeenCalled();
      expect(store.get(log.origin)).toBeUndefined();
    });
  });

  describe('serialises the requests of one origin', () => {
    it('so that of two requests from the same old size, one wins and the other gets 409', async () => {
      const { log, service, store } = setup();
      store.saveDelayMs = 20;
      const small = await log.grow(5).request(0);
      const large = await log.grow(3).request(0);
      const answers = await Promise.all([service.addCheckpoint(large), service.addCheckpoint(small)]);
      expect(answers.map((a) => a.status)).toEqual([200, 409]);
      expect(answers[1].body).toBe('8\n');
      // the spec's race: the smaller checkpoint must not roll the record back
      expect(store.get(log.origin)?.size).toBe(8);
    });

    it('so that chained requests sent at once all succeed, in order', async () => {
      const { log, service, store } = setup();
      store.saveDelayMs = 5;
      const bodies = [
        await log.grow(2).request(0),
        await log.grow(2).request(2),
        await log.grow(2).request(4),
      ];
      const answers = await Promise.all(bodies.map((b) => service.addCheckpoint(b)));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(store.get(log.origin)?.size).toBe(6);
    });

    it('and keeps serving an origin after one of its requests failed', async () => {
      const { log, service, store } = setup();
      store.failSaves = true;
      await expect(service.addCheckpoint(await log.grow(2).request(0))).rejects.toThrow();
      store.failSaves = false;
      expect((await service.addCheckpoint(await log.request(0))).status).toBe(200);
    });
  });

  describe('trust on first use (development, no configured logs)', () => {
    it('pins the key offered with the first checkpoint of an origin, and says so', async () => {
      const { log, service, store, logger } = setup({ logs: [], trustOnFirstUse: true });
      expect((await service.addCheckpoint(await log.grow(2).request(0))).status).toBe(404);
      expect((await service.addCheckpoint(await log.request(0), log.vkey)).status).toBe(200);
      expect(store.get(log.origin)).toMatchObject({ pinned: true, logVkey: log.vkey });
      expect(logger.warnings.some((m) => /trust on first use/.test(m))).toBe(true);
      // later checkpoints need no header: the pinned key is used
      expect((await service.addCheckpoint(await log.grow(1).request(2))).status).toBe(200);
    });

    it('then refuses another key for that origin, offered or not', async () => {
      const { log, service } = setup({ logs: [], trustOnFirstUse: true });
      await service.addCheckpoint(await log.grow(2).request(0), log.vkey);
      const impostor = new TestLog(log.origin);
      expect((await service.addCheckpoint(await impostor.grow(2).request(2), impostor.vkey)).status).toBe(
        403,
      );
    });

    it('does not pin a key whose checkpoint is refused', async () => {
      const { log, service, store } = setup({ logs: [], trustOnFirstUse: true });
      expect((await service.addCheckpoint(await log.grow(2).request(1), log.vkey)).status).toBe(409);
      expect(store.get(log.origin)).toBeUndefined();
    });

    it('refuses an offered key that is not a log key named after the origin', async () => {
      const { log, service } = setup({ logs: [], trustOnFirstUse: true });
      const other = new TestLog('other.test/log');
      const body = await log.grow(1).request(0);
      expect((await service.addCheckpoint(body, other.vkey)).status).toBe(400);
      expect((await service.addCheckpoint(body, 'not a vkey')).status).toBe(400);
      const cosignerKey = new Ed25519Cosigner(log.origin, generateKeyPairSync('ed25519').privateKey).vkey;
      expect((await service.addCheckpoint(body, cosignerKey)).status).toBe(400);
    });

    it('is off when logs are configured: an offered key is ignored', async () => {
      const { service } = setup();
      const other = new TestLog('other.test/log');
      expect((await service.addCheckpoint(await other.grow(1).request(0), other.vkey)).status).toBe(404);
    });
  });
});
