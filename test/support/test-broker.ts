import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { request } from 'undici';
import { loadOrCreateSigningKey } from '@broker/audit';
import { loadOrCreateNoteKey } from '@broker/log-tree';
import { loadBrokerConfig } from '@broker/config';
import { createGateway } from '../../apps/gateway/src/bootstrap';
import { MetricsServer } from '@broker/metrics';
import { createTestDatabase, makeTrustFixture, type TrustFixture } from '@broker/testing';
import type { TrustDocument } from '@broker/trust';
import type { TestCcss, TestRcs } from './simulators';

export {
  startCcssSimulator,
  startRcsSimulator,
  startSimulator,
  testPopulation,
  type TestCcss,
  type TestRcs,
  type TestSimulator,
} from './simulators';

/**
 * Where the gateway finds its registers: the RNPP's URL, and the CCSS and RCS simulators when the
 * test runs them. A register not given points at NOWHERE, so that no test ever reaches a
 * developer's own simulators on their default ports (4101, 4102).
 */
export interface TestRegisters {
  rnpp: string;
  ccss?: Pick<TestCcss, 'url'>;
  rcs?: Pick<TestRcs, 'url' | 'apiKeyFile'>;
}

/**
 * A register address where nothing answers: port 9 (discard) is privileged and not served on a
 * test machine, so a connection is refused at once.
 */
export const NOWHERE = 'http://127.0.0.1:9';

/** A gateway listening on a free port, over a fresh database, with a trust fixture made in the test. */
export interface TestBroker {
  graphqlUrl: string;
  baseUrl: string;
  /** `GET` here: the Prometheus text (the gateway's loopback listener, METRICS_PORT). */
  metricsUrl: string;
  databaseUrl: string;
  signingKeyFile: string;
  /** The environment the gateway was configured with (a worker process started with it joins the same broker). */
  env: Record<string, string>;
  trust: TrustFixture;
  app: NestFastifyApplication;
  close(): Promise<void>;
}

/**
 * Starts a gateway against `registers` (or just the RNPP's URL) with a fresh database and keys;
 * `env` overrides configuration. The CCSS and RCS addresses and the RCS key file are always set:
 * to the simulators given, else to NOWHERE and a key file of the test's own (`share` included:
 * each instance is told its registers). `share` starts another instance over the same database and trust
 * (several gateways at once); `editTrust` changes the fixture's trust document before the gateway
 * reads it. `env` may be a function of the fresh database's URL (to reach it through a proxy, say).
 */
export async function startTestBroker(
  registers: string | TestRegisters,
  env: Record<string, string> | ((databaseUrl: string) => Record<string, string>) = {},
  share?: TestBroker,
  editTrust?: (doc: TrustDocument) => void,
): Promise<TestBroker> {
  const regs: TestRegisters = typeof registers === 'string' ? { rnpp: registers } : registers;
  const dir = await mkdtemp(path.join(tmpdir(), 'broker-test-'));
  const trust = share?.trust ?? (await makeTrustFixture(dir));
  if (editTrust && !share) {
    editTrust(trust.doc);
    await writeFile(trust.file, JSON.stringify(trust.doc, null, 2));
  }
  const db = share ? { url: share.databaseUrl, drop: async () => undefined } : await createTestDatabase();
  const signingKeyFile = path.join(dir, 'broker-signing-key.json');
  if (!share) await loadOrCreateSigningKey(signingKeyFile, 'development');
  // made here (not by the gateway in development) so that a production gateway given this env finds it
  if (!share) loadOrCreateNoteKey(path.join(dir, 'broker-note-key.pem'), 'development');
  const resultsKeyFile = share?.env.BATCH_RESULTS_KEY_FILE ?? path.join(dir, 'batch-results.key');
  if (!share) await writeFile(resultsKeyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
  let rcsKeyFile = regs.rcs?.apiKeyFile;
  if (rcsKeyFile === undefined) {
    // a key no register knows: never the developer's .data/rcs-api-key (and a production boot needs one)
    rcsKeyFile = path.join(dir, 'rcs-api-key');
    await writeFile(rcsKeyFile, randomBytes(24).toString('base64url'), { mode: 0o600 });
  }
  const fullEnv: Record<string, string> = {
    // production is the default: the tests ask for development (demo sign-in, migrations at boot)
    BROKER_MODE: 'development',
    // several gateways run at once: each scrape listener on a free port
    METRICS_PORT: '0',
    BROKER_SIGNING_KEY_FILE: share?.signingKeyFile ?? signingKeyFile,
    // one note key per log: instances over the same database sign its checkpoints alike
    BROKER_NOTE_KEY_FILE: share?.env.BROKER_NOTE_KEY_FILE ?? path.join(dir, 'broker-note-key.pem'),
    BROKER_TRUST_FILE: trust.file,
    EXPORT_DIR: path.join(dir, 'exports'),
    BATCH_RESULTS_KEY_FILE: resultsKeyFile,
    BROKER_DEV_IDP_KEY_FILE: path.join(dir, 'dev-idp-key.json'),
    DATABASE_URL: db.url,
    RNPP_URL: regs.rnpp,
    CCSS_URL: regs.ccss?.url ?? NOWHERE,
    RCS_URL: regs.rcs?.url ?? NOWHERE,
    RCS_API_KEY_FILE: rcsKeyFile,
    LOG_LEVEL: 'error',
    ...(typeof env === 'function' ? env(db.url) : env),
  };
  const config = loadBrokerConfig(fullEnv);
  const app = await createGateway(config);
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    graphqlUrl: `${baseUrl}/graphql`,
    baseUrl,
    metricsUrl: app.get(MetricsServer).url,
    databaseUrl: db.url,
    signingKeyFile: share?.signingKeyFile ?? signingKeyFile,
    env: fullEnv,
    trust,
    app,
    async close() {
      await app.close();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs the built CLI (`npm test` builds dist/ first) against a database; resolves with its exit code
 * and output. `env` adds to the environment (a trust file, a note key file).
 */
export function runCli(
  args: string[],
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const main = path.resolve(__dirname, '..', '..', 'dist', 'apps', 'cli', 'src', 'main.js');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', main, ...args],
      { env: { ...process.env, DATABASE_URL: databaseUrl, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') return reject(err);
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
  });
}

export interface GqlResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: {
    data?: { person?: Record<string, unknown> | null } & Record<string, unknown>;
    errors?: { message: string; extensions?: { code?: string } & Record<string, unknown> }[];
  };
}

/** POSTs a GraphQL request with the given headers. */
export async function gql(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GqlResponse> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return {
    status: res.statusCode,
    headers: res.headers,
    body: (await res.body.json()) as GqlResponse['body'],
  };
}

/** The error codes of a response. */
export function codes(r: GqlResponse): (string | undefined)[] {
  return (r.body.errors ?? []).map((e) => e.extensions?.code);
}

/** `query($m: ID!) { person(matricule: $m) { <selection> } }` */
export function personQuery(selection: string): string {
  return `query Q($m: ID!) { person(matricule: $m) { ${selection} } }`;
}
