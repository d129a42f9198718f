import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { parse } from 'yaml';
import { makeMatricule } from '@broker/matricule';
import { generatePopulation } from '../../rnpp-simulator/src/population';
import { type BusinessRole, createRoleRegister, ROLES } from './business-roles';
import { readConfig } from './main';
import { buildSimulator } from './server';

const population = generatePopulation({ size: 2000, seed: 7 });
const register = createRoleRegister(population);
const all = population.list(0, population.size);
const holder = all.find((m) => (register.rolesOf(m) ?? []).length > 0) as string;
const nobody = all.find((m) => register.rolesOf(m)?.length === 0) as string;
const unknown = makeMatricule('18500101', 1);
const KEY = 'test-key-0123456789abcdef';
const PROBLEM_TYPE = /^application\/problem\+json/;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const contract: any = parse(readFileSync(join(__dirname, '../../../contracts/rcs-openapi.yaml'), 'utf8'));
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
ajv.addVocabulary(['openapi', 'info', 'servers', 'tags', 'paths', 'components', 'security']);
ajv.addSchema(contract, 'rcs');
const conforms = (schema: string, value: unknown): unknown => {
  const validate = ajv.getSchema(`rcs#/components/schemas/${schema}`);
  if (validate === undefined) throw new Error(`no schema ${schema}`);
  return validate(value) ? null : validate.errors;
};

describe('RCS simulator over HTTP', () => {
  let app: FastifyInstance;
  let base: string;
  const draws: number[] = [];

  beforeAll(async () => {
    app = buildSimulator({ register, apiKey: KEY, random: () => draws.shift() ?? 0.999 });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app.close();
  });

  const roles = (matricule: string, key: string | null = KEY) =>
    fetch(`${base}/persons/${matricule}/roles`, { headers: key === null ? {} : { 'x-api-key': key } });
  const knobs = (body: unknown) =>
    fetch(`${base}/_sim/knobs`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  describe('GET /persons/:matricule/roles', () => {
    it('answers the roles of a person with the key', async () => {
      const res = await roles(holder);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      const body = (await res.json()) as { matricule: string; roles: BusinessRole[] };
      expect(body).toEqual({ matricule: holder, roles: register.rolesOf(holder) });
      expect(body.roles.every((r) => ROLES.includes(r.role))).toBe(true);
      expect(conforms('PersonRoles', body)).toBeNull();
    });

    it('answers an empty list for a person who holds no role', async () => {
      const res = await roles(nobody);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ matricule: nobody, roles: [] });
    });

    it('refuses a request without the key with 401 and a problem', async () => {
      const res = await roles(holder, null);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(PROBLEM_TYPE);
      expect(res.headers.get('www-authenticate')).toBe('ApiKey header="X-Api-Key"');
      const problem = await res.json();
      expect(problem).toMatchObject({ status: 401, title: 'Unauthorized' });
      expect(conforms('Problem', problem)).toBeNull();
    });

    it('refuses a wrong key with 401, before telling whether the person exists', async () => {
      for (const key of ['wrong', `${KEY}x`, KEY.slice(0, -1), '']) {
        const res = await roles(holder, key);
        expect(res.status).toBe(401);
        expect(JSON.stringify(await res.json())).not.toContain(KEY);
      }
      expect((await roles(unknown, 'wrong')).status).toBe(401);
    });

    it('answers 404 with a problem for a matricule not in the register', async () => {
      const res = await roles(unknown);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(PROBLEM_TYPE);
      expect(conforms('Problem', await res.json())).toBeNull();
    });

    it('answers 400 naming the matricule for one that cannot exist', async () => {
      const res = await roles('12345');
      expect(res.status).toBe(400);
      const problem = (await res.json()) as { invalidParams: { name: string }[] };
      expect(problem.invalidParams.map((p) => p.name)).toEqual(['matricule']);
    });
  });

  describe('operations and knobs', () => {
    afterEach(async () => {
      await knobs({ latencyMs: 0, failureRate: 0 });
    });

    it('answers /health and the knobs without a key, never delayed nor failed', async () => {
      await knobs({ latencyMs: 2000, failureRate: 1 });
      const started = Date.now();
      const health = await fetch(`${base}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', persons: 2000 });
      const current = await fetch(`${base}/_sim/knobs`);
      expect(await current.json()).toEqual({ latencyMs: 2000, failureRate: 1 });
      expect(Date.now() - started).toBeLessThan(1000);
    });

    it('refuses invalid or unknown knobs with a problem naming them', async () => {
      const res = await knobs({ latencyMs: -1, failureRate: 2, malformedRate: 0.5 });
      expect(res.status).toBe(400);
      const problem = (await res.json()) as { invalidParams: { name: string }[] };
      expect(problem.invalidParams.map((p) => p.name)).toEqual(['latencyMs', 'failureRate', 'malformedRate']);
    });

    it('delays register answers by latencyMs', async () => {
      expect(await (await knobs({ latencyMs: 150 })).json()).toEqual({ latencyMs: 150, failureRate: 0 });
      const started = Date.now();
      expect((await roles(holder)).status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('answers 503 at failureRate, but 401 to a wrong key whatever the knobs', async () => {
      await knobs({ failureRate: 0.5 });
      draws.push(0.2, 0.9);
      const failed = await roles(holder);
      expect(failed.status).toBe(503);
      expect(conforms('Problem', await failed.json())).toBeNull();
      expect((await roles(holder)).status).toBe(200);
      await knobs({ failureRate: 1 });
      expect((await roles(holder, 'wrong')).status).toBe(401);
    });
  });
});

describe('RCS simulator options, logs and contract', () => {
  it('logs the route and status, never the matricule nor the key', async () => {
    const lines: string[] = [];
    const app = buildSimulator({
      register,
      apiKey: KEY,
      logger: { level: 'trace', stream: { write: (line: string) => void lines.push(line) } },
    });
    await app.inject({ method: 'GET', url: `/persons/${holder}/roles`, headers: { 'x-api-key': KEY } });
    await app.inject({ method: 'GET', url: `/persons/${unknown}/roles`, headers: { 'x-api-key': 'wrong' } });
    await app.close();
    const log = lines.join('');
    expect(log).not.toContain(holder.slice(0, 11));
    expect(log).not.toContain('18500101');
    expect(log).not.toContain(KEY);
    const completed = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request completed');
    expect(completed.map((l) => [l.route, l.statusCode])).toEqual([
      ['/persons/:matricule/roles', 200],
      ['/persons/:matricule/roles', 401],
    ]);
  });

  it('is described by contracts/rcs-openapi.yaml', () => {
    expect(contract.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(contract.paths).sort()).toEqual([
      '/_sim/knobs',
      '/health',
      '/persons/{matricule}/roles',
    ]);
    expect(contract.components.securitySchemes.apiKey).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'X-Api-Key',
    });
    expect(contract.components.schemas.Role.enum).toEqual([...ROLES]);
    const failures = all.map((m) => conforms('PersonRoles', { matricule: m, roles: register.rolesOf(m) }));
    expect(failures.filter((f) => f !== null)).toEqual([]);
  });

  it('refuses out-of-range initial knobs', () => {
    expect(() => buildSimulator({ register, apiKey: KEY, failureRate: 2 })).toThrow(RangeError);
    expect(() => buildSimulator({ register, apiKey: KEY, latencyMs: -5 })).toThrow(RangeError);
  });

  it('reads its configuration like the RNPP simulator, with the RNPP population', () => {
    expect(readConfig({}, [])).toEqual({
      port: 4102,
      host: '127.0.0.1',
      population: 10_000,
      seed: 20131128,
      latencyMs: 0,
      failureRate: 0,
      logLevel: 'warn',
    });
    expect(readConfig({ RCS_PORT: '5002', RNPP_POPULATION: '500' }, ['--seed', '9'])).toMatchObject({
      port: 5002,
      population: 500,
      seed: 9,
    });
    expect(() => readConfig({ RCS_FAILURE_RATE: '-1' }, [])).toThrow(RangeError);
  });
});
