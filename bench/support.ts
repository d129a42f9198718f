import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import * as path from 'node:path';
import autocannon from 'autocannon';
import { request } from 'undici';
import type { DataItem } from '@broker/data-items';
import { GRANTED_PURPOSE, mintConsent, mintMemberAssertion, type TrustFixture } from '@broker/testing';

/** dist/ (the benchmarks run from dist/bench). */
const DIST = path.resolve(__dirname, '..');

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The p-th percentile (nearest rank) of `xs`; NaN when empty. */
export const percentile = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};

/** The machine, for the results file: cores, CPU model, Node version. */
export const machine = (): string =>
  `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`;

/** Writes `result` to bench/results/<name>.json (gitignored). */
export function saveResult(name: string, result: unknown): void {
  const dir = path.resolve(DIST, '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(result, null, 2));
}

/**
 * Starts a built script (e.g. `apps/gateway/src/main.js`) of `dist` (this checkout's dist/ unless
 * another build is named) as a child process; `nodeArgs` go to node.
 */
export function start(
  script: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
  dist = DIST,
): ChildProcess {
  return spawn(
    process.execPath,
    [...nodeArgs, '--disable-warning=ExperimentalWarning', path.join(dist, script)],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}

/** Stops a child process and waits for its exit (at once if it has exited). */
export function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** A port nothing listens on now (the machine is shared: fixed ports collide). */
export function freePort(): Promise<string> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(String(port)));
    });
  });
}

/** CPU time (user + system, seconds) that process `pid` has used so far, from /proc (Linux). */
export function cpuSeconds(pid: number): number {
  // the fields after the command name, which is in parentheses and may hold spaces
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime (fields 14 and 15 of proc(5)) are in clock ticks: USER_HZ, 100 on Linux
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Waits until a GraphQL server on 127.0.0.1:`port` answers `{ __typename }` (about a minute at most). */
export async function waitForGraphql(port: number | string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    try {
      const res = await request(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ __typename }"}',
      });
      await res.body.dump();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new Error(`port ${port} never answered`);
}

/** Waits until `url` answers 200 (about a minute at most). */
export async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    try {
      const res = await request(url);
      await res.body.dump();
      if (res.statusCode === 200) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} never answered 200`);
}

/** The first `count` matricules of the RNPP simulator at `port` (fewer if it holds fewer). */
export async function listPersons(port: number | string, count: number): Promise<string[]> {
  const persons: string[] = [];
  while (persons.length < count) {
    const limit = Math.min(500, count - persons.length);
    const res = await request(`http://127.0.0.1:${port}/persons?offset=${persons.length}&limit=${limit}`);
    const page = (await res.body.json()) as { items?: string[] };
    if (!page.items?.length) break;
    persons.push(...page.items);
  }
  return persons;
}

/** One autocannon run's figures. */
export interface HttpResult {
  rps: number;
  /** Requests answered in the run. */
  requests: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/**
 * Loads `url` with the same POST for `durationS` seconds over `connections` connections
 * (autocannon), after one probe request whose answer must pass `check`: a benchmark of refusals
 * would measure the wrong thing.
 */
export async function httpLoad(
  url: string,
  headers: Record<string, string>,
  body: string,
  check: (answer: string) => boolean,
  o: { connections: number; durationS: number },
): Promise<HttpResult> {
  const probe = await request(url, { method: 'POST', headers, body });
  const text = await probe.body.text();
  if (!check(text)) throw new Error(`probe failed: ${text.slice(0, 300)}`);
  const r = await autocannon({
    url,
    method: 'POST',
    headers,
    body,
    connections: o.connections,
    duration: o.durationS,
  });
  return {
    rps: r.requests.average,
    requests: r.requests.total,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

/** Grants member one `items` for the granted purpose, and rewrites the fixture's trust file. */
export function grantMemberOne(trust: TrustFixture, items: DataItem[]): void {
  const m1 = trust.doc.members.find((m) => m.id === trust.m1.id)!;
  m1.grants = m1.grants.map((g) => ({ ...g, items }));
  trust.m1.items = items;
  writeFileSync(trust.file, JSON.stringify(trust.doc, null, 2));
}

/** Member one's assertion, for 300 s (the longest the gateway accepts). */
export const memberOneAssertion = (trust: TrustFixture): Promise<string> =>
  mintMemberAssertion(trust.m1.key, trust.m1.id, trust.brokerId, { lifetimeS: 300 });

/** A consent of `subject` to member one for the granted purpose, signed by consent issuer one. */
export const memberOneConsent = (
  trust: TrustFixture,
  subject: string,
  scope: DataItem[],
  over: { iat?: number; lifetimeS?: number } = {},
): Promise<string> =>
  mintConsent(trust.i1.key, {
    issuer: trust.i1.id,
    subject,
    audience: trust.m1.id,
    purpose: GRANTED_PURPOSE,
    scope,
    ...over,
  });

/** The headers of a member's GraphQL request: its assertion and, for a person query, the consent. */
export const memberHeaders = (
  assertion: string,
  consent?: string,
  more: Record<string, string> = {},
): Record<string, string> => ({
  'content-type': 'application/json',
  authorization: `Bearer ${assertion}`,
  ...(consent ? { 'consent-token': consent } : {}),
  ...more,
});

/** POSTs `query` with `{ m: matricule }` to the gateway at `url`; the status and the answer's text. */
export async function askPerson(
  url: string,
  o: {
    assertion: string;
    consent: string;
    query: string;
    matricule: string;
    headers?: Record<string, string>;
  },
): Promise<{ statusCode: number; text: string }> {
  const res = await request(url, {
    method: 'POST',
    headers: memberHeaders(o.assertion, o.consent, o.headers),
    body: JSON.stringify({ query: o.query, variables: { m: o.matricule } }),
  });
  return { statusCode: res.statusCode, text: await res.body.text() };
}

/**
 * The environment of a gateway for a benchmark: development mode (it migrates its fresh database),
 * the RNPP simulator at `rnppPort`, any free metrics port, errors only in the log. `more` adds to
 * it (other registers, batch settings).
 */
export function gatewayEnv(
  o: {
    trustFile: string;
    databaseUrl: string;
    rnppPort: number | string;
    gatewayPort: number | string;
  },
  more: Record<string, string> = {},
): Record<string, string> {
  return {
    RNPP_URL: `http://127.0.0.1:${o.rnppPort}`,
    DATABASE_URL: o.databaseUrl,
    BROKER_TRUST_FILE: o.trustFile,
    GATEWAY_PORT: String(o.gatewayPort),
    BROKER_MODE: 'development',
    METRICS_PORT: '0',
    LOG_LEVEL: 'error',
    ...more,
  };
}

/**
 * The environment of a gateway and its workers for a batch benchmark: `gatewayEnv`, plus BullMQ
 * on Redis and a signing key and results key written into `dir`. One place, so that every batch
 * benchmark boots the same way.
 */
export function batchBrokerEnv(o: {
  dir: string;
  trustFile: string;
  databaseUrl: string;
  rnppPort: number | string;
  gatewayPort: number | string;
}): Record<string, string> {
  const resultsKey = path.join(o.dir, 'results.key');
  writeFileSync(resultsKey, randomBytes(32).toString('base64'));
  return gatewayEnv(o, {
    BROKER_SIGNING_KEY_FILE: path.join(o.dir, 'signing-key.json'),
    BATCH_RESULTS_KEY_FILE: resultsKey,
    BATCH_EXECUTION: 'queue',
    BATCH_MAX_IN_FLIGHT: '100',
  });
}
