import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { buildSimulator as buildCcss } from '../../apps/ccss-simulator/src/server';
import {
  createAffiliationRegister,
  type AffiliationRegister,
} from '../../apps/ccss-simulator/src/affiliations';
import { buildSimulator as buildRcs } from '../../apps/rcs-simulator/src/server';
import { createRoleRegister, type RoleRegister } from '../../apps/rcs-simulator/src/business-roles';
import type { Population } from '../../apps/rnpp-simulator/src/population';

/** One register simulator listening on a free loopback port. */
export interface RegisterSimulator {
  url: string;
  app: FastifyInstance;
  /** PUT /_sim/knobs (latencyMs, failureRate, and for the CCSS malformedRate). */
  setKnobs(k: { latencyMs?: number; failureRate?: number; malformedRate?: number }): Promise<void>;
  close(): Promise<void>;
}

/** The CCSS and RCS simulators over the RNPP simulator's population, and the gateway settings that reach them. */
export interface CitizenRegisters {
  ccss: RegisterSimulator & { register: AffiliationRegister };
  rcs: RegisterSimulator & { register: RoleRegister };
  /** CCSS_URL, RCS_URL and RCS_API_KEY_FILE, for startTestBroker's `env`. */
  env: Record<string, string>;
  close(): Promise<void>;
}

async function listen(app: FastifyInstance): Promise<RegisterSimulator> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  let closed = false;
  return {
    url,
    app,
    async setKnobs(k) {
      const res = await request(`${url}/_sim/knobs`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(k),
      });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`knobs: HTTP ${res.statusCode}`);
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}

/**
 * Starts the CCSS (SOAP) and RCS (REST, API key in a file made here) simulators in this process,
 * on free ports, holding the same persons as the RNPP simulator's `population`.
 */
export async function startCitizenRegisters(population: Population): Promise<CitizenRegisters> {
  const dir = await mkdtemp(path.join(tmpdir(), 'broker-registers-'));
  const keyFile = path.join(dir, 'rcs-api-key');
  const apiKey = randomBytes(32).toString('base64url');
  await writeFile(keyFile, `${apiKey}\n`, { mode: 0o600 });
  const ccssRegister = createAffiliationRegister(population);
  const rcsRegister = createRoleRegister(population);
  const ccss = await listen(buildCcss({ register: ccssRegister }));
  const rcs = await listen(buildRcs({ register: rcsRegister, apiKey }));
  return {
    ccss: { ...ccss, register: ccssRegister },
    rcs: { ...rcs, register: rcsRegister },
    env: { CCSS_URL: ccss.url, RCS_URL: rcs.url, RCS_API_KEY_FILE: keyFile },
    async close() {
      await Promise.all([ccss.close(), rcs.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
