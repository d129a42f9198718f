import { Logger } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { BrokerError, ErrorCode } from '@broker/errors';
import { makeMatricule } from '@broker/matricule';
import { generatePopulation } from '../../../../apps/rnpp-simulator/src/population';
import { createAffiliationRegister } from '../../../../apps/ccss-simulator/src/affiliations';
import { buildSimulator } from '../../../../apps/ccss-simulator/src/server';
import { CcssSoapSource, type CcssSourceOptions } from './ccss-soap.source';

const population = generatePopulation({ size: 2000, seed: 20131128 });
const register = createAffiliationRegister(population);
const all = population.list(0, population.size);
const withMany = all.find((m) => (register.affiliationsOf(m) ?? []).length >= 3) as string;
const withNone = all.find((m) => register.affiliationsOf(m)?.length === 0) as string;
const deceased = all.find(
  (m) => population.get(m)?.deathDate !== null && (register.affiliationsOf(m) ?? []).length > 0,
) as string;
const unknown = makeMatricule('18500101', 1);

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

describe('CcssSoapSource against the real CCSS simulator', () => {
  let app: FastifyInstance;
  let base: string;
  let served = 0;
  /** Draws for the simulator's failure and malformed knobs; when empty, 0.999 (fails only at rate 1). */
  const draws: number[] = [];
  const sources: CcssSoapSource[] = [];
  const warnings: string[] = [];

  const source = (opts: Partial<CcssSourceOptions> = {}) => {
    const s = new CcssSoapSource({
      url: base,
      attemptTimeoutMs: 500,
      totalTimeoutMs: 2000,
      maxAttempts: 3,
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
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => {
      warnings.push(String(message));
    });
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    app = buildSimulator({ register, random: () => draws.shift() ?? 0.999 });
    app.addHook('onResponse', async (request) => {
      if (request.routeOptions.url === '/ccss') served++;
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterEach(async () => {
    await knobs({ latencyMs: 0, failureRate: 0, malformedRate: 0 });
    await Promise.all(sources.splice(0).map((s) => s.close()));
  });

  afterAll(async () => {
    await app.close();
    // Nothing personal reaches the logs: no matricule asked in this file appears in a warning.
    for (const m of [withMany, withNone, deceased, unknown]) expect(warnings.join('\n')).not.toContain(m);
    jest.restoreAllMocks();
  });

  describe('all up', () => {
    it("answers a person's affiliations as the register holds them, oldest first", async () => {
      const affiliations = await source().fetchAffiliations(withMany);
      expect(affiliations).toEqual(register.affiliationsOf(withMany));
      expect(affiliations.length).toBeGreaterThanOrEqual(3);
    });

    it('answers an empty list for a person with no affiliation', async () => {
      expect(await source().fetchAffiliations(withNone)).toEqual([]);
    });

    it('answers only closed affiliations for a deceased person, ending by the death date', async () => {
      const affiliations = await source().fetchAffiliations(deceased);
      const death = population.get(deceased)?.deathDate as string;
      expect(affiliations.length).toBeGreaterThan(0);
      for (const a of affiliations) {
        expect(a.endDate).not.toBeNull();
        expect(a.endDate! <= death).toBe(true);
      }
    });

    it('fails an unknown person as SOURCE_UNAVAILABLE unknown-person, with one request only', async () => {
      const before = served;
      const e = await failureOf(source().fetchAffiliations(unknown));
      expect(e.code).toBe(ErrorCode.SOURCE_UNAVAILABLE);
      expect(e.details).toEqual({ source: 'ccss', problem: 'unknown-person' });
      expect(served - before).toBe(1);
    });

    it('a register that refuses connections: SOURCE_UNAVAILABLE transport, and not ready', async () => {
      const closed = buildSimulator({ register });
      const url = await closed.listen({ port: 0, host: '127.0.0.1' });
      await closed.close();
      const s = source({ url });
      expect((await failureOf(s.fetchAffiliations(withMany))).details).toEqual({
        source: 'ccss',
        problem: 'transport',
      });
      expect(await s.isReady()).toBe(false);
    });

    it('is ready while the simulator answers its health probe', async () => {
      expect(await source().isReady()).toBe(true);
    });
  });

  describe('knobs', () => {
    it('failureRate 1: SOURCE_UNAVAILABLE after every attempt was made', async () => {
      await knobs({ failureRate: 1 });
      const before = served;
      const e = await failureOf(source({ maxAttempts: 3 }).fetchAffiliations(withMany));
      expect(e.code).toBe(ErrorCode.SOURCE_UNAVAILABLE);
      expect(e.details).toEqual({ source: 'ccss', problem: 'unavailable' });
      expect(served - before).toBe(3);
    });

    it('latency past the attempt timeout: SOURCE_UNAVAILABLE timeout within the budget', async () => {
      await knobs({ latencyMs: 400 });
      const started = Date.now();
      const e = await failureOf(
        source({ attemptTimeoutMs: 100, totalTimeoutMs: 350, maxAttempts: 5 }).fetchAffiliations(withMany),
      );
      expect(e.details).toEqual({ source: 'ccss', problem: 'timeout' });
      expect(Date.now() - started).toBeLessThan(350 + 150);
      // let the abandoned attempts' late answers land before the next test counts requests
      await new Promise((resolve) => setTimeout(resolve, 500));
    });

    it('malformedRate 1: SOURCE_UNAVAILABLE malformed, after retrying (a cut answer may be transient)', async () => {
      await knobs({ malformedRate: 1 });
      const before = served;
      const e = await failureOf(source({ maxAttempts: 2 }).fetchAffiliations(withMany));
      expect(e.details).toEqual({ source: 'ccss', problem: 'malformed' });
      expect(served - before).toBe(2);
    });

    it('a failed attempt followed by a good one is an answer', async () => {
      await knobs({ failureRate: 0.5 });
      draws.push(0.1);
      const s = source({ maxAttempts: 2 });
      expect(await s.fetchAffiliations(withMany)).toEqual(register.affiliationsOf(withMany));
    });
  });

  describe('circuit breaker', () => {
    it('opens after consecutive failures (fast failure, no request sent) and closes once the register answers', async () => {
      const s = source({ maxAttempts: 1, breakerThreshold: 2, halfOpenAfterMs: 300 });
      await knobs({ failureRate: 1 });
      for (let i = 0; i < 2; i++) {
        expect((await failureOf(s.fetchAffiliations(withMany))).details).toMatchObject({
          problem: 'unavailable',
        });
      }
      const before = served;
      const started = Date.now();
      const open = await failureOf(s.fetchAffiliations(withMany));
      expect(open.details).toEqual({ source: 'ccss', problem: 'circuit-open' });
      expect(Date.now() - started).toBeLessThan(50);
      expect(served).toBe(before);

      await knobs({ failureRate: 0 });
      await new Promise((resolve) => setTimeout(resolve, 350));
      expect(await s.fetchAffiliations(withMany)).toEqual(register.affiliationsOf(withMany));
      expect(await s.fetchAffiliations(withNone)).toEqual([]);
      expect(warnings).toContain('circuit opened: the register is failing');
    });

    it('does not open on unknown persons: they are answers, not the register failing', async () => {
      const s = source({ maxAttempts: 1, breakerThreshold: 2 });
      for (let i = 0; i < 3; i++) {
        expect((await failureOf(s.fetchAffiliations(unknown))).details).toMatchObject({
          problem: 'unknown-person',
        });
      }
      expect(await s.fetchAffiliations(withNone)).toEqual([]);
    });
  });
});
