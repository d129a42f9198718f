import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { BrokerError, ErrorCode } from '@broker/errors';
import { makeMatricule } from '@broker/matricule';
import { generatePopulation } from '../../../../apps/rnpp-simulator/src/population';
import { createRoleRegister } from '../../../../apps/rcs-simulator/src/business-roles';
import { buildSimulator } from '../../../../apps/rcs-simulator/src/server';
import { RcsHttpSource, type RcsSourceOptions } from './rcs-http.source';

const population = generatePopulation({ size: 2000, seed: 20131128 });
const register = createRoleRegister(population);
const all = population.list(0, population.size);
const holder = all.find((m) => (register.rolesOf(m) ?? []).length > 0) as string;
const nobody = all.find((m) => register.rolesOf(m)?.length === 0) as string;
const unknown = makeMatricule('18500101', 1);
const KEY = 'broker-key-0123456789abcdef';
const WRONG_KEY = 'another-key-0123456789abcdef';

/** Resolves to the BrokerError `p` fails with. */
async function failureOf(p: Promise<unknown>): Promise<BrokerError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof BrokerError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('RcsHttpSource against the real RCS simulator', () => {
  let app: FastifyInstance;
  let base: string;
  let served = 0;
  const draws: number[] = [];
  const sources: RcsHttpSource[] = [];
  const warnings: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'rcs-key-'));
  const keyFile = join(dir, 'rcs-api-key');
  const wrongKeyFile = join(dir, 'wrong-key');

  const source = (opts: Partial<RcsSourceOptions> = {}) => {
    const s = new RcsHttpSource({
      url: base,
      attemptTimeoutMs: 500,
      totalTimeoutMs: 2000,
      maxAttempts: 3,
      apiKeyFile: keyFile,
      ...opts,
    });
    sources.push(s);
    return s;
  };
  const knobs = async (body: Record<string, number>) => {
    const res = await fetch(`${base}/_sim/knobs`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    // As an operator's editor leaves it: a trailing newline, trimmed by the adapter.
    writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 });
    writeFileSync(wrongKeyFile, WRONG_KEY, { mode: 0o600 });
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    app = buildSimulator({ register, apiKey: KEY, random: () => draws.shift() ?? 0.999 });
    app.addHook('onResponse', async (request) => {
      if (request.routeOptions.url === '/persons/:matricule/roles') served++;
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterEach(async () => {
    await knobs({ latencyMs: 0, failureRate: 0 });
    await Promise.all(sources.splice(0).map((s) => s.close()));
  });

  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
    // Neither a matricule nor a key reaches the logs.
    for (const secret of [holder, nobody, unknown, KEY, WRONG_KEY]) {
      expect(warnings.join('\n')).not.toContain(secret);
    }
    jest.restoreAllMocks();
  });

  describe('all up', () => {
    it("answers a person's roles as the register holds them", async () => {
      const roles = await source().fetchBusinessRoles(holder);
      expect(roles.length).toBeGreaterThan(0);
      expect(roles).toEqual(register.rolesOf(holder));
    });

    it('answers an empty list for a person with no role', async () => {
      expect(await source().fetchBusinessRoles(nobody)).toEqual([]);
    });

    it('fails an unknown person (404) as SOURCE_UNAVAILABLE unknown-person, with one request only', async () => {
      const before = served;
      const e = await failureOf(source().fetchBusinessRoles(unknown));
      expect(e.code).toBe(ErrorCode.SOURCE_UNAVAILABLE);
      expect(e.details).toEqual({ source: 'rcs', problem: 'unknown-person' });
      expect(served - before).toBe(1);
    });

    it('is ready while the simulator answers its health probe', async () => {
      expect(await source().isReady()).toBe(true);
    });
  });

  describe('credential', () => {
    it('a wrong key: SOURCE_UNAVAILABLE credential, not retried, and a warning that does not show the key', async () => {
      const before = served;
      const e = await failureOf(source({ apiKeyFile: wrongKeyFile }).fetchBusinessRoles(holder));
      expect(e.code).toBe(ErrorCode.SOURCE_UNAVAILABLE);
      expect(e.details).toEqual({ source: 'rcs', problem: 'credential' });
      expect(served - before).toBe(1);
      expect(warnings.some((w) => w.includes('API key'))).toBe(true);
    });

    it('a wrong key is refused whatever the failure knob', async () => {
      await knobs({ failureRate: 1 });
      const e = await failureOf(source({ apiKeyFile: wrongKeyFile }).fetchBusinessRoles(holder));
      expect(e.details).toEqual({ source: 'rcs', problem: 'credential' });
    });

    it('a missing or empty key file stops the construction with a clear error', () => {
      expect(() => source({ apiKeyFile: join(dir, 'absent') })).toThrow(
        /RCS API key file .*absent cannot be read \(ENOENT\)/,
      );
      const empty = join(dir, 'empty');
      writeFileSync(empty, '\n');
      expect(() => source({ apiKeyFile: empty })).toThrow(/must hold one key/);
    });
  });

  describe('knobs', () => {
    it('failureRate 1: SOURCE_UNAVAILABLE after every attempt was made', async () => {
      await knobs({ failureRate: 1 });
      const before = served;
      const e = await failureOf(source({ maxAttempts: 3 }).fetchBusinessRoles(holder));
      expect(e.details).toEqual({ source: 'rcs', problem: 'unavailable' });
      expect(served - before).toBe(3);
    });

    it('a failed attempt followed by a good one is an answer', async () => {
      await knobs({ failureRate: 0.5 });
      draws.push(0.1);
      expect(await source({ maxAttempts: 2 }).fetchBusinessRoles(holder)).toEqual(register.rolesOf(holder));
    });

    it('latency past the attempt timeout: SOURCE_UNAVAILABLE timeout within the budget', async () => {
      await knobs({ latencyMs: 400 });
      const started = Date.now();
      const e = await failureOf(
        source({ attemptTimeoutMs: 100, totalTimeoutMs: 350, maxAttempts: 5 }).fetchBusinessRoles(holder),
      );
      expect(e.details).toEqual({ source: 'rcs', problem: 'timeout' });
      expect(Date.now() - started).toBeLessThan(350 + 150);
      // let the abandoned attempts' late answers land before the next test counts requests
      await new Promise((resolve) => setTimeout(resolve, 500));
    });
  });

  describe('circuit breaker', () => {
    it('opens after consecutive failures (fast failure, no request sent) and closes once the register answers', async () => {
      const s = source({ maxAttempts: 1, breakerThreshold: 2, halfOpenAfterMs: 300 });
      await knobs({ failureRate: 1 });
      for (let i = 0; i < 2; i++) {
        expect((await failureOf(s.fetchBusinessRoles(holder))).details).toMatchObject({
          problem: 'unavailable',
        });
      }
      const before = served;
      const started = Date.now();
      const open = await failureOf(s.fetchBusinessRoles(holder));
      expect(open.details).toEqual({ source: 'rcs', problem: 'circuit-open' });
      expect(Date.now() - started).toBeLessThan(50);
      expect(served).toBe(before);

      await knobs({ failureRate: 0 });
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect(await s.fetchBusinessRoles(holder)).toEqual(register.rolesOf(holder));
      expect(await s.fetchBusinessRoles(nobody)).toEqual([]);
    });

    it('does not open on a wrong key: the register is up, the broker is misconfigured', async () => {
      const s = source({ apiKeyFile: wrongKeyFile, maxAttempts: 1, breakerThreshold: 2 });
      for (let i = 0; i < 3; i++) {
        expect((await failureOf(s.fetchBusinessRoles(holder))).details).toMatchObject({
          problem: 'credential',
        });
      }
    });
  });
});
