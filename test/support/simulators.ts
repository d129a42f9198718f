/**
 * The three register simulators in-process, each on a free loopback port, over one synthetic
 * population (the same matricules everywhere, as in production). Each counts the register
 * requests it receives, so that a test can say a source was not called at all.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import {
  createAffiliationRegister,
  type AffiliationRegister,
} from '../../apps/ccss-simulator/src/affiliations';
import { buildSimulator as buildCcss } from '../../apps/ccss-simulator/src/server';
import { createRoleRegister, type RoleRegister } from '../../apps/rcs-simulator/src/business-roles';
import { buildSimulator as buildRcs } from '../../apps/rcs-simulator/src/server';
import { generatePopulation, type Population } from '../../apps/rnpp-simulator/src/population';
import { buildSimulator as buildRnpp } from '../../apps/rnpp-simulator/src/server';

let sharedPopulation: Population | undefined;

/** The population of every test simulator: 2,000 persons for speed, same generator as production. */
export function testPopulation(): Population {
  sharedPopulation ??= generatePopulation({ size: 2000, seed: 20131128 });
  return sharedPopulation;
}

/** What every test simulator offers: its URL, its knobs, and a count of the register requests it received. */
interface RunningSimulator<Knobs> {
  url: string;
  app: FastifyInstance;
  /** Register requests received so far, counted on arrival (health and knob routes excluded). */
  requests(): number;
  setKnobs(k: Knobs): Promise<void>;
  close(): Promise<void>;
}

/** The RNPP simulator listening on a free loopback port. */
export interface TestSimulator extends RunningSimulator<{ latencyMs?: number; failureRate?: number }> {
  population: Population;
}

/** The CCSS simulator (SOAP 1.1); `malformedRate` cuts its answers. */
export interface TestCcss extends RunningSimulator<{
  latencyMs?: number;
  failureRate?: number;
  malformedRate?: number;
}> {
  register: AffiliationRegister;
}

/** The RCS simulator (REST) and the file holding the API key it expects (in the test's own temp dir). */
export interface TestRcs extends RunningSimulator<{ latencyMs?: number; failureRate?: number }> {
  register: RoleRegister;
  apiKeyFile: string;
}

/**
 * Listens on a free port and counts, at the raw HTTP server, the requests `isRegisterCall` picks:
 * counted before the simulator's own hooks, so a request it delays or fails still counts.
 */
async function listen<Knobs>(
  app: FastifyInstance,
  isRegisterCall: (req: IncomingMessage) => boolean,
  cleanup: () => Promise<void> = async () => undefined,
): Promise<RunningSimulator<Knobs>> {
  let count = 0;
  app.server.on('request', (req: IncomingMessage) => {
    if (isRegisterCall(req)) count++;
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    url,
    app,
    requests: () => count,
    async setKnobs(k) {
      const res = await request(`${url}/_sim/knobs`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(k),
      });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`knobs: HTTP ${res.statusCode}`);
    },
    // idempotent: a test may stop one register early (to take it down) and all of them at the end
    close: (() => {
      let closing: Promise<void> | undefined;
      return () => (closing ??= app.close().then(cleanup));
    })(),
  };
}

const underPersons = (req: IncomingMessage): boolean => req.url?.startsWith('/persons/') ?? false;

/** Starts the RNPP simulator. */
export async function startSimulator(): Promise<TestSimulator> {
  const population = testPopulation();
  const running = await listen<{ latencyMs?: number; failureRate?: number }>(
    buildRnpp({ population }),
    underPersons,
  );
  return { ...running, population };
}

/** Starts the CCSS simulator; `register` replaces the one derived from the test population. */
export async function startCcssSimulator(
  opts: { register?: AffiliationRegister; random?: () => number } = {},
): Promise<TestCcss> {
  const register = opts.register ?? createAffiliationRegister(testPopulation());
  const running = await listen<{ latencyMs?: number; failureRate?: number; malformedRate?: number }>(
    buildCcss({ register, random: opts.random }),
    (req) => req.method === 'POST' && (req.url?.startsWith('/ccss') ?? false),
  );
  return { ...running, register };
}

/**
 * Starts the RCS simulator with a fresh API key, written (mode 0600) to a file in a temp dir of
 * its own that close() removes: the gateway under test reads that file (RCS_API_KEY_FILE).
 */
export async function startRcsSimulator(opts: { register?: RoleRegister } = {}): Promise<TestRcs> {
  const register = opts.register ?? createRoleRegister(testPopulation());
  const dir = await mkdtemp(path.join(tmpdir(), 'rcs-sim-'));
  const apiKeyFile = path.join(dir, 'rcs-api-key');
  const apiKey = randomBytes(24).toString('base64url');
  await writeFile(apiKeyFile, `${apiKey}\n`, { mode: 0o600 });
  const running = await listen<{ latencyMs?: number; failureRate?: number }>(
    buildRcs({ register, apiKey }),
    underPersons,
    () => rm(dir, { recursive: true, force: true }),
  );
  return { ...running, register, apiKeyFile };
}
