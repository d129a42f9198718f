/**
 * Safe by default, and cheap to operate: a gateway started with neither BROKER_MODE nor NODE_ENV
 * runs in production (no demo sign-in, no generated keys); development listens on loopback only;
 * metrics are served on their own loopback listener (METRICS_PORT), never on the public port;
 * readiness and metrics reuse their probes and counts for a few seconds; both report each
 * source (the three register simulators' real servers, on free ports), and only the RNPP, the
 * authoritative source, decides readiness.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Client } from 'pg';
import { request } from 'undici';
import { DEV_IDP_ISSUER, DEV_IDP_NAME } from '@broker/citizen';
import { generateSigningKey, mintCitizenToken } from '@broker/testing';
import type { TrustDocument } from '@broker/trust';
import { createAffiliationRegister } from '../apps/ccss-simulator/src/affiliations';
import { buildSimulator as buildCcssSimulator } from '../apps/ccss-simulator/src/server';
import { createRoleRegister } from '../apps/rcs-simulator/src/business-roles';
import { buildSimulator as buildRcsSimulator } from '../apps/rcs-simulator/src/server';
import { freePort, startRedis, waitFor, type TestRedis } from './support/processes';
import {
  gql,
  startSimulator,
  startTestBroker,
  type TestBroker,
  type TestSimulator,
} from './support/test-broker';

const GATEWAY_MAIN = path.resolve(__dirname, '..', 'dist', 'apps', 'gateway', 'src', 'main.js');

const errorCode = (text: string): string | undefined => {
  try {
    return (JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions
      ?.code;
  } catch {
    return undefined;
  }
};

async function http(
  url: string,
  method: 'GET' | 'POST' = 'GET',
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; text: string }> {
  const res = await request(url, { method, headers, body });
  return { status: res.statusCode, text: await res.body.text() };
}

/** Listens on a free loopback port; resolves with the base URL. */
async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/** The built gateway (`dist/`) as a real process; the environment is exactly `env` plus PATH. */
function spawnGateway(env: Record<string, string>): {
  output(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
} {
  const proc = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', GATEWAY_MAIN], {
    // neither BROKER_MODE nor NODE_ENV (jest sets NODE_ENV=test): what an operator gets by default
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    output: () => out,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

describe('safe defaults and operations', () => {
  let sim: TestSimulator;
  let ccss: FastifyInstance;
  let rcs: FastifyInstance;
  let broker: TestBroker;
  let redis: TestRedis;
  let dir: string;
  /** CCSS_URL, RCS_URL and RCS_API_KEY_FILE of the two other registers, both up. */
  let registers: Record<string, string>;
  /** A loopback URL where nothing listens: a register that is down. */
  let closedUrl: string;
  /** The environment of a production gateway over the test broker's (migrated) database. */
  let prodEnv: () => Promise<Record<string, string>>;

  beforeAll(async () => {
    sim = await startSimulator();
    dir = await mkdtemp(path.join(tmpdir(), 'broker-ops-'));
    // the CCSS and RCS over the RNPP simulator's population, as `npm start` runs them
    const rcsKey = randomBytes(24).toString('base64url');
    const rcsKeyFile = path.join(dir, 'rcs-api-key');
    await writeFile(rcsKeyFile, rcsKey, { mode: 0o600 });
    ccss = buildCcssSimulator({ register: createAffiliationRegister(sim.population) });
    rcs = buildRcsSimulator({ register: createRoleRegister(sim.population), apiKey: rcsKey });
    registers = { CCSS_URL: await listen(ccss), RCS_URL: await listen(rcs), RCS_API_KEY_FILE: rcsKeyFile };
    closedUrl = `http://127.0.0.1:${await freePort()}`;
    broker = await startTestBroker(sim.url, registers);
    redis = await startRedis();
    prodEnv = async () => ({
      GATEWAY_PORT: String(await freePort()),
      METRICS_PORT: String(await freePort()),
      DATABASE_URL: broker.databaseUrl,
      REDIS_URL: redis.url,
      RNPP_URL: sim.url,
      // the test broker's CCSS, RCS and RCS key file (a production boot needs a readable key file)
      CCSS_URL: broker.env.CCSS_URL,
      RCS_URL: broker.env.RCS_URL,
      RCS_API_KEY_FILE: broker.env.RCS_API_KEY_FILE,
      BROKER_TRUST_FILE: broker.env.BROKER_TRUST_FILE,
      BROKER_SIGNING_KEY_FILE: broker.env.BROKER_SIGNING_KEY_FILE,
      BROKER_NOTE_KEY_FILE: broker.env.BROKER_NOTE_KEY_FILE,
      BATCH_RESULTS_KEY_FILE: broker.env.BATCH_RESULTS_KEY_FILE,
      BROKER_DEV_IDP_KEY_FILE: path.join(dir, 'dev-idp-key.json'),
      EXPORT_DIR: path.join(dir, 'exports'),
      LOG_LEVEL: 'log',
    });
  });

  afterAll(async () => {
    await broker?.close();
    await sim?.close();
    await ccss?.close();
    await rcs?.close();
    await redis?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('a gateway started with neither BROKER_MODE nor NODE_ENV', () => {
    it('runs in production: no demo sign-in, no generated demo key, no metrics on the public port', async () => {
      const env = await prodEnv();
      const gw = spawnGateway(env);
      const base = `http://127.0.0.1:${env.GATEWAY_PORT}`;
      try {
        await waitFor(
          'the gateway',
          async () => {
            if (gw.output().includes('failed to start')) throw new Error(gw.output());
            return (await http(`${base}/health/live`).catch(() => ({ status: 0 }))).status === 200;
          },
          60_000,
          200,
        );
        expect(gw.output()).toContain('(production mode');
        // sent as the page would (its Origin and one-time state), so that only the mode decides
        const state = (JSON.parse((await http(`${base}/me/session/state`)).text) as { state: string }).state;
        const signIn = await http(
          `${base}/me/demo/sign-in`,
          'POST',
          {
            'content-type': 'application/json',
            origin: base,
            'x-csrf-token': state,
            cookie: `broker_state=${state}`,
          },
          JSON.stringify({ matricule: sim.population.list(0, 1)[0] }),
        );
        expect([signIn.status, errorCode(signIn.text)]).toEqual([404, 'NOT_FOUND']);
        expect(signIn.text).not.toContain('token');
        const citizens = await http(`${base}/me/demo/citizens`);
        expect([citizens.status, errorCode(citizens.text)]).toEqual([404, 'NOT_FOUND']);
        expect(existsSync(env.BROKER_DEV_IDP_KEY_FILE)).toBe(false);
        const publicMetrics = await http(`${base}/metrics`);
        expect([publicMetrics.status, errorCode(publicMetrics.text)]).toEqual([404, 'NOT_FOUND']);
        const metrics = await http(`http://127.0.0.1:${env.METRICS_PORT}/metrics`);
        expect(metrics.status).toBe(200);
        expect(metrics.text).toMatch(/^broker_access_log_appended_total \d+$/m);
      } finally {
        await gw.stop();
      }
    });

    it('refuses to start, saying production, with a trust file that names the demo identity provider', async () => {
      const doc = JSON.parse(await readFile(broker.env.BROKER_TRUST_FILE, 'utf8')) as TrustDocument;
      const key = await generateSigningKey('ES256', 'demo-idp-test');
      doc.identityProviders = [
        ...(doc.identityProviders ?? []),
        { issuer: DEV_IDP_ISSUER, name: DEV_IDP_NAME, jwks: { keys: [key.publicJwk] } },
      ];
      const trustFile = path.join(dir, 'trust-with-demo-idp.json');
      await writeFile(trustFile, JSON.stringify(doc));
      const gw = spawnGateway({ ...(await prodEnv()), BROKER_TRUST_FILE: trustFile });
      expect(await gw.exited).toBe(1);
      expect(gw.output()).toMatch(
        /gateway failed to start \(production mode\): .*demo identity provider.*production/,
      );
    });
  });

  it('refuses development mode beyond the loopback, before anything starts', async () => {
    const gw = spawnGateway({ ...(await prodEnv()), BROKER_MODE: 'development', GATEWAY_HOST: '0.0.0.0' });
    expect(await gw.exited).toBe(1);
    expect(gw.output()).toContain(
      'GATEWAY_HOST must be a loopback address (127.0.0.1, ::1 or localhost) in development mode, got "0.0.0.0"',
    );
  });

  it('refuses to start when METRICS_PORT is taken, naming it', async () => {
    const taken = createTcpServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const env: Record<string, string> = { ...(await prodEnv()), METRICS_PORT: String(port) };
      const gw = spawnGateway(env);
      expect(await gw.exited).toBe(1);
      // the refusal names the port, and the mode the gateway was starting in
      expect(gw.output()).toContain(
        `gateway failed to start (production mode): invalid configuration:\n  - METRICS_PORT ${port} is already in use on 127.0.0.1`,
      );
      // the public port never opened
      await expect(http(`http://127.0.0.1:${env.GATEWAY_PORT}/health/live`)).rejects.toThrow();
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it('serves metrics on a free port when the default port (9464) is held by another process, and says where', async () => {
    // hold 9464 unless someone already does (a demo on this machine): either way it is in use
    const holder = createTcpServer();
    await new Promise<void>((resolve) => {
      holder.once('error', () => resolve());
      holder.listen(9464, '127.0.0.1', () => resolve());
    });
    const { METRICS_PORT: _explicit, ...env } = await prodEnv();
    const gw = spawnGateway(env);
    try {
      const url = await waitFor(
        'the metrics listener',
        async () => {
          if (gw.output().includes('failed to start')) throw new Error(gw.output());
          return /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics): the default port 9464 is in use/.exec(
            gw.output(),
          )?.[1];
        },
        60_000,
        200,
      );
      expect(url).not.toContain(':9464/');
      const metrics = await http(url);
      expect(metrics.status).toBe(200);
      expect(metrics.text).toMatch(/^broker_access_log_writable /m);
    } finally {
      await gw.stop();
      if (holder.listening) await new Promise((r) => holder.close(r));
    }
  });

  describe('metrics', () => {
    it('are served on the loopback listener only: 404 on the public port', async () => {
      expect(broker.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const res = await request(broker.metricsUrl);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.body.text();
      expect(text).toMatch(/^broker_access_log_writable 1$/m);
      expect(text).toMatch(/^broker_batch_jobs\{state="QUEUED"\} \d+$/m);
      const pub = await http(`${broker.baseUrl}/metrics`);
      expect([pub.status, errorCode(pub.text)]).toEqual([404, 'NOT_FOUND']);
      const other = new URL(broker.metricsUrl);
      expect((await http(`${other.origin}/health/ready`)).status).toBe(404);
      expect((await http(broker.metricsUrl, 'POST')).status).toBe(405);
    });

    it('answer from their cache while the batch tables are locked (no count per scrape)', async () => {
      await http(broker.metricsUrl); // fills the cache
      const c = new Client({ connectionString: broker.databaseUrl });
      await c.connect();
      try {
        await c.query('BEGIN');
        await c.query('LOCK TABLE batch_job, batch_item IN ACCESS EXCLUSIVE MODE');
        const started = Date.now();
        const scrapes = await Promise.all(
          Array.from({ length: 10 }, () =>
            request(broker.metricsUrl, { bodyTimeout: 1500, headersTimeout: 1500 }).then(async (r) => {
              await r.body.dump();
              return r.statusCode;
            }),
          ),
        );
        expect(scrapes).toEqual(Array(10).fill(200));
        expect(Date.now() - started).toBeLessThan(1500);
      } finally {
        await c.query('ROLLBACK');
        await c.end();
      }
    });
  });

  describe('readiness', () => {
    let proxy: Server;
    let healthCalls = 0;
    let other: TestBroker;

    beforeAll(async () => {
      // the register behind a proxy that counts its health checks
      proxy = createHttpServer((req, res) => {
        if ((req.url ?? '').startsWith('/health')) healthCalls++;
        request(`${sim.url}${req.url ?? '/'}`).then(
          async (up) => {
            res.writeHead(up.statusCode, {
              'content-type': String(up.headers['content-type'] ?? 'text/plain'),
            });
            res.end(Buffer.from(await up.body.arrayBuffer()));
          },
          () => {
            res.writeHead(502);
            res.end();
          },
        );
      });
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
      other = await startTestBroker(
        `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        registers,
        broker,
      );
    });

    afterAll(async () => {
      await other?.close();
      await new Promise((r) => proxy?.close(r));
    });

    it('reports the access log and every source, and shares one register check among many probes', async () => {
      const before = healthCalls;
      const concurrent = await Promise.all(
        Array.from({ length: 10 }, () => http(`${other.baseUrl}/health/ready`)),
      );
      const sequential = [];
      for (let i = 0; i < 10; i++) sequential.push(await http(`${other.baseUrl}/health/ready`));
      for (const r of [...concurrent, ...sequential]) {
        expect(r.status).toBe(200);
        expect(JSON.parse(r.text)).toMatchObject({
          status: 'ready',
          database: 'up',
          rnpp: 'up',
          ccss: 'up',
          rcs: 'up',
          accessLog: 'up',
        });
      }
      // 20 probes within the cache period: one register call (two if the period ran out between)
      expect(healthCalls - before).toBeGreaterThanOrEqual(1);
      expect(healthCalls - before).toBeLessThanOrEqual(2);
    });

    it('gives each gateway its own metrics port, closed with the gateway', async () => {
      const url = other.metricsUrl;
      expect(url).not.toBe(broker.metricsUrl);
      expect((await http(url)).status).toBe(200);
      const extra = await startTestBroker(sim.url, {}, broker);
      const extraUrl = extra.metricsUrl;
      await extra.close();
      await expect(http(extraUrl)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    });
  });

  describe('each source', () => {
    /** A gateway whose RCS is down (nothing listens at its URL). */
    let partial: TestBroker;

    beforeAll(async () => {
      partial = await startTestBroker(sim.url, { ...registers, RCS_URL: closedUrl });
    });

    afterAll(async () => {
      await partial?.close();
    });

    it('stays ready but says degraded, naming each source, when a register other than the RNPP is down', async () => {
      const r = await http(`${partial.baseUrl}/health/ready`);
      expect(r.status).toBe(200);
      expect(JSON.parse(r.text)).toEqual({
        status: 'degraded',
        database: 'up',
        rnpp: 'up',
        ccss: 'up',
        rcs: 'down',
        accessLog: 'up',
        queue: expect.any(String) as unknown,
        transparencyLog: 'up',
      });
    });

    it('is not ready when the RNPP is down, whatever the other registers', async () => {
      const down = await startTestBroker(closedUrl, registers);
      try {
        const r = await http(`${down.baseUrl}/health/ready`);
        expect(r.status).toBe(503);
        expect(JSON.parse(r.text)).toMatchObject({
          status: 'not ready',
          database: 'up',
          rnpp: 'down',
          ccss: 'up',
          rcs: 'up',
        });
        const metrics = await http(down.metricsUrl);
        expect(metrics.text).toMatch(/^broker_source_ready\{source="rnpp"\} 0$/m);
        expect(metrics.text).toMatch(/^broker_source_ready\{source="ccss"\} 1$/m);
      } finally {
        await down.close();
      }
    });

    it("counts each source's calls by outcome in /metrics (ok, failed with its problem), without personal data", async () => {
      // the citizen's own look reads every register, the RCS's part failing
      const A = sim.population.list(0, 1)[0];
      const t = partial.trust;
      const res = await gql(
        partial.graphqlUrl,
        '{ myData { surname affiliations { status } businessRoles { role } } }',
        {},
        { authorization: `Bearer ${await mintCitizenToken(t.idp.key, t.idp.issuer, t.brokerId, A)}` },
      );
      expect(res.body.data?.myData).toMatchObject({
        surname: expect.any(String) as unknown,
        businessRoles: null,
      });
      expect(res.body.errors?.map((e) => (e as { path?: unknown }).path)).toEqual([
        ['myData', 'businessRoles'],
      ]);

      const text = (await http(partial.metricsUrl)).text;
      expect(text).toContain('# TYPE broker_source_calls_total counter');
      expect(text).toMatch(/^broker_source_ready\{source="rnpp"\} 1$/m);
      expect(text).toMatch(/^broker_source_ready\{source="ccss"\} 1$/m);
      expect(text).toMatch(/^broker_source_ready\{source="rcs"\} 0$/m);
      expect(text).toMatch(/^broker_source_calls_total\{source="rnpp",outcome="ok"\} 1$/m);
      expect(text).toMatch(/^broker_source_calls_total\{source="ccss",outcome="ok"\} 1$/m);
      expect(text).toMatch(/^broker_source_calls_total\{source="rcs",outcome="ok"\} 0$/m);
      const failed =
        /^broker_source_calls_total\{source="rcs",outcome="failed",problem="([a-z-]+)"\} 1$/m.exec(text);
      expect(failed?.[1]).toEqual(expect.stringMatching(/^(transport|timeout|circuit-open)$/));
      expect(text).not.toMatch(/source="(rnpp|ccss)",outcome="failed"/);
      // the pre-existing series are still there, unrenamed
      expect(text).toMatch(/^broker_disclosures_total \d+$/m);
      expect(text).toMatch(/^broker_access_log_appended_total \d+$/m);
      expect(text).not.toContain(A);
    });
  });
});
