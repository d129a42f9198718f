import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { parse } from 'yaml';
import { makeMatricule } from '@broker/matricule';
import { RNPP_FIELDS, type RnppPerson } from '../../../libs/sources/src/rnpp/rnpp-person';
import { readConfig } from './main';
import { generatePopulation } from './population';
import { buildSimulator } from './server';

const population = generatePopulation({ size: 2000, seed: 7 });
const all = population.list(0, population.size);
const someone = all[1234];
const PROBLEM_TYPE = /^application\/problem\+json/;

interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  invalidParams?: { name: string; reason: string }[];
}

describe('RNPP simulator HTTP API', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = buildSimulator({ population });
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
  });

  const get = (url: string) => app.inject({ method: 'GET', url });

  describe('GET /persons/:matricule', () => {
    it('returns exactly matricule and the requested fields', async () => {
      const res = await get(`/persons/${someone}?fields=surname,birthDate`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const full = population.get(someone) as RnppPerson;
      expect(res.json()).toEqual({ matricule: someone, surname: full.surname, birthDate: full.birthDate });
      expect(Object.keys(res.json())).toEqual(['matricule', 'surname', 'birthDate']);
    });

    it('returns the whole record when every field is asked for', async () => {
      const res = await get(`/persons/${someone}?fields=${RNPP_FIELDS.join(',')}`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual(population.get(someone));
    });

    it('accepts spaces, duplicates, repeated parameters and an explicit matricule', async () => {
      const full = population.get(someone) as RnppPerson;
      const spaced = await get(`/persons/${someone}?fields=${encodeURIComponent(' sex , sex,address ')}`);
      expect(spaced.json()).toEqual({ matricule: someone, sex: full.sex, address: full.address });
      const repeated = await get(`/persons/${someone}?fields=parents&fields=children`);
      expect(repeated.json()).toEqual({ matricule: someone, parents: full.parents, children: full.children });
      const onlyId = await get(`/persons/${someone}?fields=matricule`);
      expect(onlyId.json()).toEqual({ matricule: someone });
    });

    it('accepts data-item names for the fields they stand for', async () => {
      const full = population.get(someone) as RnppPerson;
      const res = await get(`/persons/${someone}?fields=name,death`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        matricule: someone,
        surname: full.surname,
        givenNames: full.givenNames,
        deathDate: full.deathDate,
        deathPlace: full.deathPlace,
      });
    });

    it('keeps null-valued fields that were asked for', async () => {
      const alive = all
        .map((m) => population.get(m) as RnppPerson)
        .find((p) => p.deathDate === null) as RnppPerson;
      const res = await get(`/persons/${alive.matricule}?fields=deathDate,deathPlace,nobleTitle`);
      expect(res.json()).toEqual({
        matricule: alive.matricule,
        deathDate: null,
        deathPlace: null,
        nobleTitle: null,
      });
    });

    it.each([
      ['missing', ''],
      ['empty', '?fields='],
      ['blank', '?fields=%20'],
      ['with an empty name', '?fields=surname,,sex'],
    ])('answers 400 when fields is %s', async (_case, query) => {
      const res = await get(`/persons/${someone}${query}`);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM_TYPE);
      const body = res.json<Problem>();
      expect(body).toMatchObject({ type: 'about:blank', title: 'Bad Request', status: 400 });
      expect(body.invalidParams?.map((p) => p.name)).toEqual(['fields']);
    });

    it('answers 400 naming the unknown field', async () => {
      const res = await get(`/persons/${someone}?fields=surname,salary`);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM_TYPE);
      const body = res.json<Problem>();
      expect(body).toMatchObject({ type: 'about:blank', title: 'Bad Request', status: 400 });
      expect(body.invalidParams).toHaveLength(1);
      expect(body.invalidParams?.[0].name).toBe('fields');
      expect(body.invalidParams?.[0].reason).toContain('salary');
    });

    it.each([
      ['a wrong Verhoeff digit', someone.slice(0, 12) + ((Number(someone[12]) + 1) % 10), 'BAD_VERHOEFF'],
      [
        'a wrong Luhn digit',
        someone.slice(0, 11) + ((Number(someone[11]) + 1) % 10) + someone[12],
        'BAD_LUHN',
      ],
      ['too few digits', '123', 'BAD_LENGTH'],
      ['fullwidth digits', encodeURIComponent('１８９３１２０１０５７３２'), 'NOT_DIGITS'],
      ['an impossible date', '1985023012345', 'IMPOSSIBLE_DATE'],
      ['a future date', '2999010100000', 'FUTURE_DATE'],
    ])('answers 400 for a matricule with %s', async (_case, matricule, code) => {
      const res = await get(`/persons/${matricule}?fields=surname`);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM_TYPE);
      const body = res.json<Problem>();
      expect(body.invalidParams).toEqual([{ name: 'matricule', reason: expect.stringContaining(code) }]);
    });

    it('reports a bad matricule and bad fields together', async () => {
      const res = await get('/persons/123?fields=nope');
      expect(res.json<Problem>().invalidParams?.map((p) => p.name)).toEqual(['matricule', 'fields']);
    });

    it('answers 404 for a valid matricule that is not in the register', async () => {
      const stranger = makeMatricule('18500101', 1);
      const res = await get(`/persons/${stranger}?fields=surname`);
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(PROBLEM_TYPE);
      const body = res.json<Problem>();
      expect(body).toMatchObject({ type: 'about:blank', title: 'Not Found', status: 404 });
      expect(JSON.stringify(body)).not.toContain(stranger);
    });
  });

  describe('GET /persons', () => {
    it('lists the first 100 matricules by default', async () => {
      const res = await get('/persons');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ total: 2000, offset: 0, limit: 100, items: all.slice(0, 100) });
    });

    it('pages with offset and limit', async () => {
      const res = await get('/persons?offset=1990&limit=1000');
      expect(res.json()).toEqual({ total: 2000, offset: 1990, limit: 1000, items: all.slice(1990) });
      const beyond = await get('/persons?offset=5000&limit=10');
      expect(beyond.json()).toEqual({ total: 2000, offset: 5000, limit: 10, items: [] });
    });

    it.each([
      ['limit=1001', ['limit']],
      ['limit=0', ['limit']],
      ['limit=abc', ['limit']],
      ['limit=10.5', ['limit']],
      ['offset=-1', ['offset']],
      ['offset=1e3', ['offset']],
      ['offset=x&limit=-5', ['offset', 'limit']],
      ['limit=1&limit=2', ['limit']],
    ])('answers 400 for %s', async (query, names) => {
      const res = await get(`/persons?${query}`);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toMatch(PROBLEM_TYPE);
      expect(res.json<Problem>().invalidParams?.map((p) => p.name)).toEqual(names);
    });
  });

  it('reports health', async () => {
    const res = await get('/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', persons: 2000 });
  });

  it('answers unknown routes with a 404 problem', async () => {
    const res = await get('/nowhere');
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(PROBLEM_TYPE);
    expect(res.json()).toMatchObject({ type: 'about:blank', status: 404 });
  });
});

describe('simulator knobs', () => {
  let app: FastifyInstance;

  beforeEach(async () => {
    app = buildSimulator({ population });
    await app.ready();
  });

  afterEach(async () => {
    await app.close();
  });

  const put = (payload: unknown) =>
    app.inject({ method: 'PUT', url: '/_sim/knobs', payload: payload as object });

  it('starts from zero and can be read', async () => {
    const res = await app.inject({ method: 'GET', url: '/_sim/knobs' });
    expect(res.json()).toEqual({ latencyMs: 0, failureRate: 0 });
  });

  it('fails register routes with 503 when failureRate is 1, but not /health nor /_sim', async () => {
    const set = await put({ failureRate: 1 });
    expect(set.statusCode).toBe(200);
    expect(set.json()).toEqual({ latencyMs: 0, failureRate: 1 });

    for (const url of [`/persons/${someone}?fields=surname`, '/persons']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toMatch(PROBLEM_TYPE);
      expect(res.json()).toMatchObject({ type: 'about:blank', title: 'Service Unavailable', status: 503 });
    }
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/_sim/knobs' })).json()).toEqual({
      latencyMs: 0,
      failureRate: 1,
    });

    expect((await put({ failureRate: 0 })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/persons' })).statusCode).toBe(200);
  });

  it('adds latency to register routes only', async () => {
    expect((await put({ latencyMs: 150 })).json()).toEqual({ latencyMs: 150, failureRate: 0 });
    let started = performance.now();
    const res = await app.inject({ method: 'GET', url: `/persons/${someone}?fields=sex` });
    expect(res.statusCode).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);

    started = performance.now();
    await app.inject({ method: 'GET', url: '/health' });
    expect(performance.now() - started).toBeLessThan(140);
  });

  it('keeps a knob that the update leaves out', async () => {
    await put({ latencyMs: 5, failureRate: 0.25 });
    expect((await put({ failureRate: 0.5 })).json()).toEqual({ latencyMs: 5, failureRate: 0.5 });
  });

  it.each([
    [{ failureRate: 1.5 }, ['failureRate']],
    [{ failureRate: -0.1 }, ['failureRate']],
    [{ latencyMs: -1 }, ['latencyMs']],
    [{ latencyMs: 60_001 }, ['latencyMs']],
    [{ latencyMs: '10' }, ['latencyMs']],
    [{ speed: 3 }, ['speed']],
    [[1, 2], ['body']],
  ])('refuses %j', async (payload, names) => {
    const res = await put(payload);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(PROBLEM_TYPE);
    expect(res.json<Problem>().invalidParams?.map((p) => p.name)).toEqual(names);
    expect((await app.inject({ method: 'GET', url: '/_sim/knobs' })).json()).toEqual({
      latencyMs: 0,
      failureRate: 0,
    });
  });

  it('answers bodies that are not JSON with a problem', async () => {
    const notJson = await app.inject({
      method: 'PUT',
      url: '/_sim/knobs',
      headers: { 'content-type': 'application/json' },
      payload: '{ nope',
    });
    expect(notJson.statusCode).toBe(400);
    expect(notJson.headers['content-type']).toMatch(PROBLEM_TYPE);
    const text = await app.inject({
      method: 'PUT',
      url: '/_sim/knobs',
      headers: { 'content-type': 'text/csv' },
      payload: 'a,b',
    });
    expect(text.statusCode).toBe(415);
    expect(text.headers['content-type']).toMatch(PROBLEM_TYPE);
  });

  it('takes its initial knobs and randomness from the options', async () => {
    const draws = [0.3, 0.7];
    const flaky = buildSimulator({ population, failureRate: 0.5, random: () => draws.shift() ?? 0 });
    expect((await flaky.inject({ method: 'GET', url: '/persons' })).statusCode).toBe(503);
    expect((await flaky.inject({ method: 'GET', url: '/persons' })).statusCode).toBe(200);
    await flaky.close();
    expect(() => buildSimulator({ population, failureRate: 2 })).toThrow(RangeError);
    expect(() => buildSimulator({ population, latencyMs: -5 })).toThrow(RangeError);
  });
});

describe('logging', () => {
  it('logs the route pattern and status, never the matricule', async () => {
    const lines: string[] = [];
    const app = buildSimulator({
      population,
      logger: { level: 'trace', stream: { write: (line: string) => void lines.push(line) } },
    });
    await app.inject({ method: 'GET', url: `/persons/${someone}?fields=surname` });
    await app.inject({ method: 'GET', url: `/persons/${someone.slice(0, 12)}0?fields=surname` });
    await app.inject({ method: 'GET', url: `/persons/${makeMatricule('18500101', 1)}?fields=surname` });
    await app.close();

    const log = lines.join('');
    expect(log).not.toContain(someone.slice(0, 11));
    expect(log).not.toContain('18500101');
    const completed = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request completed');
    expect(completed.map((l) => [l.route, l.statusCode])).toEqual([
      ['/persons/:matricule', 200],
      ['/persons/:matricule', 400],
      ['/persons/:matricule', 404],
    ]);
  });
});

describe('contracts/rnpp-openapi.yaml', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const contract: any = parse(readFileSync(join(__dirname, '../../../contracts/rnpp-openapi.yaml'), 'utf8'));
  // strictRequired would object to `required` naming properties that RnppPerson gets through allOf.
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
  addFormats(ajv);
  ajv.addVocabulary(['openapi', 'info', 'servers', 'tags', 'paths', 'components']);
  ajv.addSchema(contract, 'rnpp');
  const validator = (name: string) => {
    const validate = ajv.getSchema(`rnpp#/components/schemas/${name}`);
    if (validate === undefined) throw new Error(`no schema ${name}`);
    return (value: unknown): unknown => (validate(value) ? null : validate.errors);
  };

  it('is OpenAPI 3.1 and marks the simulator-only routes', () => {
    expect(contract.openapi).toMatch(/^3\.1\./);
    expect(Object.keys(contract.paths).sort()).toEqual([
      '/_sim/knobs',
      '/health',
      '/persons',
      '/persons/{matricule}',
    ]);
    expect(contract.paths['/_sim/knobs']['x-simulator-only']).toBe(true);
  });

  it('knows exactly the fields of RnppPerson', () => {
    const fields = ['matricule', ...RNPP_FIELDS];
    expect(contract.components.schemas.RnppFieldName.enum).toEqual(fields);
    expect(Object.keys(contract.components.schemas.RnppPersonFields.properties)).toEqual(fields);
    expect(contract.components.schemas.RnppPerson.required).toEqual(fields);
  });

  it('describes every generated person', () => {
    const validPerson = validator('RnppPerson');
    const failures = all
      .map((m) => population.get(m))
      .map((p) => validPerson(p))
      .filter((errors) => errors !== null);
    expect(failures).toEqual([]);
  });

  it('describes the answers of the simulator', async () => {
    const app = buildSimulator({ population });
    const answers: [string, string, number][] = [
      ['RnppPersonSelection', `/persons/${someone}?fields=surname,address`, 200],
      ['PersonPage', '/persons?limit=1000', 200],
      ['Health', '/health', 200],
      ['Knobs', '/_sim/knobs', 200],
      ['Problem', `/persons/${someone}`, 400],
      ['Problem', `/persons/${makeMatricule('18500101', 1)}?fields=sex`, 404],
    ];
    for (const [schema, url, status] of answers) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(status);
      expect(validator(schema)(res.json())).toBeNull();
    }
    expect(validator('RnppPersonSelection')({ matricule: someone, salary: 1 })).not.toBeNull();
    await app.close();
  });
});

describe('readConfig', () => {
  it('uses the documented defaults', () => {
    expect(readConfig({}, [])).toEqual({
      port: 4100,
      host: '127.0.0.1',
      population: 10_000,
      seed: 20131128,
      latencyMs: 0,
      failureRate: 0,
      logLevel: 'warn',
    });
  });

  it('reads the environment and lets flags override it', () => {
    const env = {
      RNPP_PORT: '5000',
      RNPP_HOST: '0.0.0.0',
      RNPP_POPULATION: '500',
      RNPP_SEED: '1',
      RNPP_LATENCY_MS: '25',
      RNPP_FAILURE_RATE: '0.1',
    };
    expect(readConfig(env, ['--population', '1000000', '--port=4200', '--seed', '9'])).toMatchObject({
      port: 4200,
      host: '0.0.0.0',
      population: 1_000_000,
      seed: 9,
      latencyMs: 25,
      failureRate: 0.1,
    });
  });

  it.each([
    [{ RNPP_PORT: 'http' }, []],
    [{ RNPP_POPULATION: '-1' }, []],
    [{ RNPP_FAILURE_RATE: '2' }, []],
    [{}, ['--population']],
    [{}, ['--verbose']],
    [{}, ['--port', '70000']],
  ])('refuses %j %j', (env, argv) => {
    expect(() => readConfig(env, argv)).toThrow(RangeError);
  });
});
