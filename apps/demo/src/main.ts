/**
 * `npm start`: the whole demo on one machine. PostgreSQL at DATABASE_URL (default the local
 * server) or, when none answers and DATABASE_URL is unset, an embedded PostgreSQL (apps/demo/src/embedded-postgres.ts);
 * dev keys, a demo trust file and the RCS API key generated at first start; migrations; the RNPP,
 * CCSS and RCS simulators, the gateway and a worker as child processes. Downloads nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { Client } from 'pg';
import { request } from 'undici';
import { DEFAULT_DATABASE_URL, loadBrokerConfig, redactUrl } from '@broker/config';
import { loadOrCreateSigningKey, redisAnswers } from '@broker/audit';
import { loadOrCreateNoteKey } from '@broker/log-tree';
import { ED25519_NOTE_TYPE, ed25519PublicKeyBytes, formatVkey } from '@broker/transparency';
import { loadOrCreateResultsKey } from '@broker/batch';
import { loadOrCreateDevIdpKey } from '@broker/citizen';
import { openDatabase, runtimeConnection } from '@broker/database';
import { loadRcsApiKey } from '@broker/simulation';
import { asCurl, demoPerson, demoRequest, listPersons, roleHolder } from './demo-client';
import { demoSimulators, moveOffTakenDefaults, portsInUse, withSimulatorUrls } from './demo-simulators';
import { DATA_DIR, DEMO_BROKER_ID, ensureDevKeys, writeDemoTrustFile, type DemoWitness } from './demo-trust';
import { demoWitness, startDemoWitness } from './demo-witness';
import { startEmbeddedPostgres } from './embedded-postgres';

const EMBEDDED_PORT = Number(process.env.EMBEDDED_PG_PORT ?? 54329);
const children: ChildProcess[] = [];
let embedded: { stop(): Promise<void> } | undefined;
let stopping = false;

function say(line: string): void {
  process.stdout.write(`[demo] ${line}\n`);
}

async function answers(url: string): Promise<boolean> {
  const c = new Client({
    connectionString: url.replace(/\/[^/?]*(\?|$)/, '/postgres$1'),
    connectionTimeoutMillis: 2000,
  });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

async function startEmbedded(): Promise<string> {
  const pg = await startEmbeddedPostgres(DATA_DIR, EMBEDDED_PORT);
  embedded = pg;
  return pg.url;
}

async function waitFor(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      // undici.request, not fetch: fetch refuses some ports (the WHATWG "bad ports") that a free-port picker may hand out
      const res = await request(url, { signal: AbortSignal.timeout(2000) });
      await res.body.dump();
      if (res.statusCode === 200) return true;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

function startChild(name: string, script: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', script], {
    env,
    stdio: 'inherit',
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      say(`${name} exited (${signal ?? code}); stopping the demo`);
      void shutdown(1);
    }
  });
  children.push(child);
  return child;
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await Promise.all(
    children.filter((c) => c.exitCode === null).map((c) => new Promise((r) => c.once('exit', r))),
  );
  if (embedded) await embedded.stop().catch(() => undefined);
  process.exit(code);
}

async function main(): Promise<void> {
  // the demo's children log warnings and errors only, so that the banner below stays readable;
  // production is every process's default, so the demo asks for development (demo sign-in,
  // generated keys, loopback only) for itself and each child, unless BROKER_MODE is set
  const env: NodeJS.ProcessEnv = {
    LOG_LEVEL: 'warn',
    ...process.env,
    BROKER_MODE: process.env.BROKER_MODE || 'development',
  };
  const sims = demoSimulators(env);
  const simulators = [sims.rnpp, sims.ccss, sims.rcs];
  const witnessListener = demoWitness(env);
  for (const line of await moveOffTakenDefaults(env, [...simulators, witnessListener])) say(line);
  withSimulatorUrls(env, simulators);
  const config = loadBrokerConfig(env);
  const busy = await portsInUse([
    ...simulators,
    witnessListener,
    { portVar: 'GATEWAY_PORT', host: config.gatewayHost, port: config.gatewayPort },
  ]);
  if (busy.length) throw new Error(`ports in use:\n  - ${busy.join('\n  - ')}`);

  let databaseUrl = config.databaseUrl;
  if (!process.env.DATABASE_URL && !(await answers(DEFAULT_DATABASE_URL))) {
    databaseUrl = await startEmbedded();
    say(
      `no PostgreSQL answers at 127.0.0.1:5432: using the embedded default (PostgreSQL from node_modules, port ${EMBEDDED_PORT})`,
    );
  }
  env.DATABASE_URL = databaseUrl;

  const keys = await ensureDevKeys();
  // the broker's own signing key (checkpoints, export manifests): made here, once, so that every
  // process of the demo signs with the same key
  await loadOrCreateSigningKey(process.env.BROKER_SIGNING_KEY_FILE, config.mode);
  // and the transparency log's note key, which signs its checkpoints (docker compose mounts it too)
  const noteKey = loadOrCreateNoteKey(process.env.BROKER_NOTE_KEY_FILE, config.mode);
  // likewise the key that encrypts batch results at rest, shared by the gateway and the worker
  await loadOrCreateResultsKey(process.env.BATCH_RESULTS_KEY_FILE, config.mode);
  // and the RCS API key, which the RCS simulator checks and the gateway sends: one file for both
  const rcsKey = loadRcsApiKey(env, { generate: config.mode === 'development' });
  env.RCS_API_KEY_FILE = path.resolve(rcsKey.file);
  if (rcsKey.generated) say(`RCS API key generated in ${rcsKey.file} (mode 0600)`);
  const redis = await redisAnswers(config.redisUrl);
  env.BATCH_EXECUTION = redis ? 'queue' : 'auto';
  let trustFile = process.env.BROKER_TRUST_FILE;
  const ownTrust = !trustFile;
  // the demo identity provider of the citizen page's demo sign-in (development mode only): in the
  // generated trust file; with your own trust file (never rewritten) the gateway adds it itself
  const idp =
    config.mode === 'development'
      ? await loadOrCreateDevIdpKey(path.resolve(process.cwd(), config.devIdpKeyFile))
      : undefined;
  // one witness with storage of its own (.data/witness), pinned to this log's key, in the
  // generated trust file with a quorum of 1: checkpoints are published once it cosigned them
  let witness: DemoWitness | undefined;
  if (ownTrust) {
    const logVkey = formatVkey(DEMO_BROKER_ID, ED25519_NOTE_TYPE, ed25519PublicKeyBytes(noteKey));
    const dist = path.resolve(__dirname, '..', '..');
    witness = await startDemoWitness(witnessListener, logVkey, env, (name, script, childEnv) =>
      startChild(name, path.join(dist, script), childEnv),
    );
  }
  if (!trustFile) trustFile = await writeDemoTrustFile(keys, idp, witness);
  env.BROKER_TRUST_FILE = trustFile;

  const ds = await openDatabase(databaseUrl, { migrate: true, poolSize: 2 });
  await ds.destroy();
  // the gateway and worker do the same at their boot (development mode): announced here once
  const runtime = await runtimeConnection(loadBrokerConfig(env, 'tool'));
  say(
    `PostgreSQL ${redactUrl(databaseUrl)}: migrations applied; the gateway and worker connect as ${runtime.role}${
      runtime.setUp ? ', which may append to the access log but not rewrite it (docs/operations.md)' : ''
    }`,
  );
  env.DB_MIGRATE = 'off';

  const dist = path.resolve(__dirname, '..', '..');
  for (const s of simulators) startChild(s.name, path.join(dist, s.name, 'src', 'main.js'), env);
  const started = await Promise.all(
    simulators.map((s) => waitFor(`http://127.0.0.1:${s.port}/health`, 60_000)),
  );
  const silent = simulators.filter((_, i) => !started[i]);
  if (silent.length) {
    const lines = silent.map((s) => `${s.name}: no answer at http://127.0.0.1:${s.port}/health in 60 s`);
    throw new Error(`simulators did not start:\n  - ${lines.join('\n  - ')}`);
  }
  startChild('gateway', path.join(dist, 'gateway', 'src', 'main.js'), env);
  const base = `http://${config.gatewayHost}:${config.gatewayPort}`;
  if (!(await waitFor(`${base}/health/ready`, 90_000))) throw new Error('the gateway did not become ready');
  if (redis) {
    startChild('worker', path.join(dist, 'worker', 'src', 'main.js'), env);
    say(
      `batch jobs: BullMQ on Redis at ${new URL(config.redisUrl).host}, one worker process (more: npm run start:worker)`,
    );
  } else {
    say(
      `batch jobs: no Redis answers at ${new URL(config.redisUrl).host}, so they run in-process in the gateway`,
    );
  }

  say('ready');
  say(`GraphQL      ${base}/graphql`);
  say(`readiness    ${base}/health/ready   metrics http://127.0.0.1:${config.metricsPort}/metrics`);
  if (idp) say(`citizen page ${base}/me   (demo sign-in: pick a synthetic citizen)`);
  say(`RNPP (sim.)  ${config.rnppUrl}/persons?offset=0&limit=10`);
  say(`CCSS (sim.)  ${sims.ccss.url}/ccss?wsdl   (SOAP 1.1: POST /ccss, GetAffiliations)`);
  // an example path that answers roles (about one person in ten holds one); never the key itself
  const holder = await roleHolder(sims.rcs.url, rcsKey.key, await listPersons(config.rnppUrl, 50));
  say(`RCS (sim.)   ${sims.rcs.url}/persons/${holder}/roles   (header X-Api-Key: the key in ${rcsKey.file})`);
  if (witness)
    say(
      `witness      ${witness.url}/vkey   (${witness.name}, storage .data/witness; checkpoints: ${base}/log/checkpoint)`,
    );
  say(
    `trust file   ${trustFile}${ownTrust ? ' (generated; dev keys in .data/dev-keys.json)' : ' (yours, read only)'}`,
  );
  if (ownTrust) {
    const first = await demoPerson(config.rnppUrl);
    const req = await demoRequest(keys, first);
    say('example request (tokens valid 5 minutes; `npm run demo:request` mints fresh ones):');
    process.stdout.write(`${asCurl(`${base}/graphql`, req)}\n`);
  }
  say(
    `verify the access log, its tree against the cosigned checkpoints and the witness: ${
      ownTrust ? `BROKER_MODE=development BROKER_TRUST_FILE=${path.relative(process.cwd(), trustFile)} ` : ''
    }npm run access-log:verify`,
  );
  say('export and verify it as an auditor with `npm run demo:audit`');
  say('stop with Ctrl-C');
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
main().catch((e: unknown) => {
  process.stderr.write(`[demo] failed: ${e instanceof Error ? e.message : String(e)}\n`);
  void shutdown(1);
});
