import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { request } from 'undici';
import { GRANTED_PURPOSE, mintConsent, mintMemberAssertion } from '@broker/testing';
import {
  freePort,
  startRedis,
  startWorker,
  waitFor,
  type TestRedis,
  type TestWorker,
} from './support/processes';
import {
  gql,
  personQuery,
  startSimulator,
  startTestBroker,
  type TestBroker,
  type TestSimulator,
} from './support/test-broker';

const GATEWAY_MAIN = path.resolve(__dirname, '..', 'dist', 'apps', 'gateway', 'src', 'main.js');
const SUBMIT = `mutation S($input: PersonBatchInput!) { submitPersonBatch(input: $input) { id state } }`;
const STATUS = `query J($id: ID!) { batchJob(id: $id) { id state succeeded } }`;

/** OTLP/JSON as the exporter sends it (the parts the tests read). */
interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
  arrayValue?: { values?: OtlpValue[] };
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes?: OtlpAttribute[];
  events?: { name: string; attributes?: OtlpAttribute[] }[];
  status?: { code?: number; message?: string };
}
interface OtlpRequest {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: { spans?: OtlpSpan[] }[];
  }[];
}
/** A span with its process's service.name. */
interface Exported extends OtlpSpan {
  service: string;
}

/** A tiny OTLP/HTTP collector: keeps every POST body, by path. */
async function startReceiver(): Promise<{
  url: string;
  posts: { path: string; body: string }[];
  close(): Promise<void>;
}> {
  const posts: { path: string; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posts,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const text = (v: OtlpValue): string =>
  v.stringValue ??
  (v.arrayValue
    ? (v.arrayValue.values ?? []).map(text).join(',')
    : String(v.intValue ?? v.boolValue ?? v.doubleValue));

const attr = (s: { attributes?: OtlpAttribute[] }, key: string): string | undefined => {
  const a = s.attributes?.find((x) => x.key === key);
  return a ? text(a.value) : undefined;
};

/** Every span received on /v1/traces so far. */
function spansOf(posts: { path: string; body: string }[]): Exported[] {
  return posts
    .filter((p) => p.path === '/v1/traces')
    .flatMap((p) =>
      ((JSON.parse(p.body) as OtlpRequest).resourceSpans ?? []).flatMap((rs) => {
        const service = attr(rs.resource ?? {}, 'service.name') ?? '';
        return (rs.scopeSpans ?? []).flatMap((ss) => (ss.spans ?? []).map((s) => ({ ...s, service })));
      }),
    );
}

/** Every string a span exports besides its ids and times: names, attributes, events, status, resource. */
function exportedStrings(posts: { path: string; body: string }[]): string[] {
  const out: string[] = [];
  const attrs = (list: OtlpAttribute[] = []) => list.forEach((a) => out.push(a.key, text(a.value)));
  for (const p of posts.filter((x) => x.path === '/v1/traces')) {
    for (const rs of (JSON.parse(p.body) as OtlpRequest).resourceSpans ?? []) {
      attrs(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? [])
        for (const s of ss.spans ?? []) {
          out.push(s.name, s.status?.message ?? '');
          attrs(s.attributes);
          for (const e of s.events ?? []) {
            out.push(e.name);
            attrs(e.attributes);
          }
        }
    }
  }
  return out;
}

/** The built gateway as a real process on a free port; resolves once it answers /health/live. */
async function spawnGateway(env: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', GATEWAY_MAIN], {
    env: { PATH: process.env.PATH ?? '', ...env, GATEWAY_HOST: '127.0.0.1', GATEWAY_PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    `gateway on ${url}`,
    async () => {
      if (proc.exitCode !== null) throw new Error(`gateway exited: ${out}`);
      return request(`${url}/health/live`).then(
        async (r) => (await r.body.text(), r.statusCode === 200),
        () => false,
      );
    },
    60_000,
    200,
  );
  return {
    url,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

describe('traces (OpenTelemetry, OTLP/HTTP to a collector; real gateway and worker processes)', () => {
  let sim: TestSimulator;
  let redis: TestRedis;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let broker: TestBroker;
  let traced: Awaited<ReturnType<typeof spawnGateway>>;
  let untraced: Awaited<ReturnType<typeof spawnGateway>>;
  let worker: TestWorker;
  let persons: string[];
  /** Every token the tests sent: none may be exported. */
  const tokens: string[] = [];

  beforeAll(async () => {
    sim = await startSimulator();
    redis = await startRedis();
    receiver = await startReceiver();
    // the in-process gateway makes the database, keys and trust file; the processes share them
    broker = await startTestBroker(sim.url, {
      REDIS_URL: redis.url,
      BATCH_EXECUTION: 'queue',
      BATCH_RECONCILE_INTERVAL_S: '3600',
      BATCH_CHUNK_SIZE: '2',
    });
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '100' };
    traced = await spawnGateway({ ...broker.env, ...otel });
    worker = startWorker({ ...broker.env, ...otel });
    // no traces endpoint; the other signals' endpoints point at the collector: nothing may arrive
    untraced = await spawnGateway({
      ...broker.env,
      OTEL_SERVICE_NAME: 'untraced-gateway',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${receiver.url}/v1/metrics`,
      OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${receiver.url}/v1/logs`,
    });
    persons = sim.population.list(0, 50).filter((m) => !sim.population.get(m)?.deathDate);
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await traced?.stop();
    await untraced?.stop();
    await broker?.close();
    await receiver?.close();
    await redis?.stop();
    await sim?.close();
  });

  const t = () => broker.trust;
  async function memberHeaders(correlationId: string): Promise<Record<string, string>> {
    const assertion = await mintMemberAssertion(t().m1.key, t().m1.id, t().brokerId);
    tokens.push(assertion);
    return { authorization: `Bearer ${assertion}`, 'x-correlation-id': correlationId };
  }
  async function consent(m: string): Promise<string> {
    const c = await mintConsent(t().i1.key, {
      issuer: t().i1.id,
      subject: m,
      audience: t().m1.id,
      purpose: GRANTED_PURPOSE,
      scope: ['name'],
    });
    tokens.push(c);
    return c;
  }

  it('one synchronous request: gateway → register → log append, parented, with the correlation id and the member', async () => {
    const m = persons[0];
    const r = await gql(
      `${traced.url}/graphql`,
      personQuery('matricule surname'),
      { m },
      {
        ...(await memberHeaders('trace-sync-1')),
        'consent-token': await consent(m),
        // a member's own trace context is not followed: the gateway starts the trace
        traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-00`,
      },
    );
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data?.person?.matricule).toBe(m);

    const root = await waitFor('the request span', async () =>
      spansOf(receiver.posts).find((s) => attr(s, 'broker.correlation_id') === 'trace-sync-1'),
    );
    expect(root.service).toBe('broker-gateway');
    expect(root.name).toBe('graphql query person');
    expect(root.parentSpanId ?? '').toBe('');
    expect(root.traceId).not.toBe('a'.repeat(32));
    expect(attr(root, 'broker.member_id')).toBe(t().m1.id);
    expect(attr(root, 'broker.operation')).toBe('person');
    expect(attr(root, 'broker.outcome')).toBe('OK');

    const children = await waitFor('its register and log spans', async () => {
      const c = spansOf(receiver.posts).filter((s) => s.parentSpanId === root.spanId);
      return c.length >= 2 ? c : undefined;
    });
    const register = children.find((s) => s.name === 'register rnpp');
    const append = children.find((s) => s.name === 'access-log append');
    expect(register).toBeDefined();
    expect(attr(register!, 'broker.source')).toBe('rnpp');
    expect(attr(register!, 'broker.outcome')).toBe('OK');
    expect(append).toBeDefined();
    expect(attr(append!, 'broker.outcome')).toBe('OK');
    for (const c of children) expect(c.traceId).toBe(root.traceId);
  });

  it('a refused request ends its span with the refusal code', async () => {
    const m = persons[1];
    const r = await gql(
      `${traced.url}/graphql`,
      personQuery('matricule surname'),
      { m },
      {
        ...(await memberHeaders('trace-refused-1')),
        'consent-token': await consent(persons[2]),
      },
    );
    const code = r.body.errors?.[0]?.extensions?.code;
    expect(code).toBeDefined();
    const root = await waitFor('the refused request span', async () =>
      spansOf(receiver.posts).find((s) => attr(s, 'broker.correlation_id') === 'trace-refused-1'),
    );
    expect(attr(root, 'broker.outcome')).toBe(code);
    expect(root.status?.code).toBe(2); // ERROR
  });

  it("one batch job: the worker's chunk spans continue the submitting request's trace", async () => {
    const requests = await Promise.all(
      persons.slice(0, 3).map(async (m) => ({ matricule: m, consentToken: await consent(m) })),
    );
    const s = await gql(
      `${traced.url}/graphql`,
      SUBMIT,
      { input: { purpose: GRANTED_PURPOSE, items: ['name'], requests } },
      await memberHeaders('trace-batch-1'),
    );
    expect(s.body.errors).toBeUndefined();
    const id = (s.body.data?.submitPersonBatch as { id: string }).id;
    await waitFor(
      'the job to complete',
      async () => {
        const j = await gql(`${traced.url}/graphql`, STATUS, { id }, await memberHeaders('trace-batch-poll'));
        return (j.body.data?.batchJob as { state: string } | null)?.state === 'COMPLETED';
      },
      30_000,
      200,
    );
    const root = await waitFor('the submission span', async () =>
      spansOf(receiver.posts).find(
        (x) => attr(x, 'broker.correlation_id') === 'trace-batch-1' && x.service === 'broker-gateway',
      ),
    );
    expect(root.name).toBe('graphql mutation submitPersonBatch');
    // 3 items in chunks of 2: two chunks, each a child of the submission's span, in its trace
    const chunks = await waitFor('the chunk spans', async () => {
      const c = spansOf(receiver.posts).filter(
        (x) => x.name === 'batch chunk' && attr(x, 'broker.job_id') === id,
      );
      return c.length >= 2 ? c : undefined;
    });
    for (const c of chunks) {
      expect(c.service).toBe('broker-worker');
      expect(c.traceId).toBe(root.traceId);
      expect(c.parentSpanId).toBe(root.spanId);
      expect(attr(c, 'broker.correlation_id')).toBe('trace-batch-1');
      expect(attr(c, 'broker.outcome')).toBe('OK');
    }
    const under = await waitFor("the chunks' register and log spans", async () => {
      const all = spansOf(receiver.posts).filter((x) => chunks.some((c) => c.spanId === x.parentSpanId));
      const registers = all.filter((x) => x.name === 'register rnpp');
      const appends = all.filter((x) => x.name === 'access-log append');
      return registers.length >= 3 && appends.length >= 2 ? all : undefined;
    });
    for (const x of under) {
      expect(x.service).toBe('broker-worker');
      expect(x.traceId).toBe(root.traceId);
    }
  });

  it('exports no matricule and no token anywhere: names, attributes, events, status, resource', async () => {
    // a correlation id chosen to hold a matricule is exported redacted, not as given
    const m = persons[3];
    await gql(
      `${traced.url}/graphql`,
      personQuery('matricule surname'),
      { m },
      {
        ...(await memberHeaders(`sneaky-${m}`)),
        'consent-token': await consent(m),
      },
    );
    await waitFor('the sneaky request span', async () =>
      spansOf(receiver.posts).find((s) => attr(s, 'broker.correlation_id') === '[redacted]'),
    );
    const strings = exportedStrings(receiver.posts);
    expect(strings.length).toBeGreaterThan(50);
    expect(strings.filter((x) => /\d{13}/.test(x))).toEqual([]);
    expect(strings.filter((x) => /eyJ/.test(x))).toEqual([]);
    const raw = receiver.posts.map((p) => p.body).join('\n');
    for (const p of persons) expect(raw).not.toContain(p);
    for (const token of tokens) expect(raw).not.toContain(token.split('.')[2]);
    expect(raw).not.toContain('/persons/');
  });

  it('a gateway that stops (SIGTERM) exports the spans it still held', async () => {
    // spans would wait a minute in the batch: only the shutdown's flush can send them in time
    const slow = await spawnGateway({
      ...broker.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '60000',
      OTEL_SERVICE_NAME: 'flushing-gateway',
    });
    const m = persons[5];
    const r = await gql(
      `${slow.url}/graphql`,
      personQuery('matricule surname'),
      { m },
      {
        ...(await memberHeaders('trace-flush-1')),
        'consent-token': await consent(m),
      },
    );
    expect(r.body.data?.person?.matricule).toBe(m);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(spansOf(receiver.posts).filter((s) => s.service === 'flushing-gateway')).toEqual([]);
    await slow.stop();
    const names = spansOf(receiver.posts)
      .filter((s) => s.service === 'flushing-gateway')
      .map((s) => s.name)
      .sort();
    expect(names).toEqual(['access-log append', 'graphql query person', 'register rnpp']);
  });

  it('without an OTLP endpoint the process exports nothing (no SDK at all)', async () => {
    const m = persons[4];
    const r = await gql(
      `${untraced.url}/graphql`,
      personQuery('matricule surname'),
      { m },
      {
        ...(await memberHeaders('untraced-1')),
        'consent-token': await consent(m),
      },
    );
    expect(r.body.data?.person?.matricule).toBe(m);
    // several export intervals of a gateway that would export
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(spansOf(receiver.posts).filter((s) => s.service === 'untraced-gateway')).toEqual([]);
    expect(spansOf(receiver.posts).filter((s) => attr(s, 'broker.correlation_id') === 'untraced-1')).toEqual(
      [],
    );
    expect(receiver.posts.filter((p) => p.path !== '/v1/traces')).toEqual([]);
  });
});
