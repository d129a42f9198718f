import { randomBytes } from 'node:crypto';
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
import type { Population } from '../../apps/rnpp-simulator/src/population';
import { createRoleRegister, type RoleRegister } from '../../apps/rcs-simulator/src/business-roles';
import { buildSimulator as buildRcs } from '../../apps/rcs-simulator/src/server';

/** A register simulator listening on a free loopback port, with its knobs and a count of its register calls. */
export interface TestRegister {
  url: string;
  app: FastifyInstance;
  /** Register calls answered so far (SOAP or REST, not /health nor /_sim). */
  calls(): number;
  setKnobs(k: { latencyMs?: number; failureRate?: number }): Promise<void>;
}

/** The CCSS and RCS simulators over the RNPP simulator's population, and the gateway settings that reach them. */
export interface TestRegisters {
  ccss: TestRegister & {
    register: AffiliationRegister;
    /**
     * The draws of the next failureRate checks, in order (0 fails, 1 passes whatever the rate
     * below 1); once used up, draws are random again. Makes "some persons fail" repeatable.
     */
    scriptDraws(draws: number[]): void;
    /** From now on the register does not know this person (a SOAP fault UNKNOWN_MATRICULE). */
    forget(matricule: string): void;
  };
  rcs: TestRegister & { register: RoleRegister };
  /** CCSS_URL, RCS_URL and RCS_API_KEY_FILE, for startTestBroker's `env`. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Starts the CCSS (SOAP) and RCS (REST, API key in a file made here) simulators, in this process. */
export async function startRegisters(population: Population): Promise<TestRegisters> {
  const dir = await mkdtemp(path.join(tmpdir(), 'broker-registers-'));
  const apiKeyFile = path.join(dir, 'rcs-api-key');
  const apiKey = randomBytes(24).toString('base64url');
  await writeFile(apiKeyFile, apiKey, { mode: 0o600 });

  const draws: number[] = [];
  const forgotten = new Set<string>();
  const ccssRegister = createAffiliationRegister(population);
  const ccss = buildCcss({
    register: {
      size: ccssRegister.size,
      affiliationsOf: (m) => (forgotten.has(m) ? undefined : ccssRegister.affiliationsOf(m)),
    },
    random: () => draws.shift() ?? Math.random(),
  });
  const rcsRegister = createRoleRegister(population);
  const rcs = buildRcs({ register: rcsRegister, apiKey });
  const [ccssUp, rcsUp] = await Promise.all([
    listen(ccss, (method, url) => method === 'POST' && url.startsWith('/ccss')),
    listen(rcs, (method, url) => method === 'GET' && url.startsWith('/persons/')),
  ]);
  return {
    ccss: {
      ...ccssUp,
      register: ccssRegister,
      scriptDraws: (d) => void draws.splice(0, draws.length, ...d),
      forget: (m) => void forgotten.add(m),
    },
    rcs: { ...rcsUp, register: rcsRegister },
    env: { CCSS_URL: ccssUp.url, RCS_URL: rcsUp.url, RCS_API_KEY_FILE: apiKeyFile },
    async close() {
      await Promise.all([ccss.close(), rcs.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Counts the register calls (`isCall`), then listens on a free port. */
async function listen(
  app: FastifyInstance,
  isCall: (method: string, url: string) => boolean,
): Promise<TestRegister> {
  let calls = 0;
  app.addHook('onRequest', (req, _reply, done) => {
    if (isCall(req.method, req.url)) calls++;
    done();
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    url,
    app,
    calls: () => calls,
    async setKnobs(k) {
      const res = await request(`${url}/_sim/knobs`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(k),
      });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`knobs: HTTP ${res.statusCode}`);
    },
  };
}
