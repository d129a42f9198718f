/**
 * Metrics through prom-client: a real gateway (and a real worker process) answer real requests;
 * the loopback scrape shows the request histogram by operation and code, holds no matricule, and
 * the public port has no /metrics. The shipped alert rules and Grafana dashboard name only
 * broker_* metrics that a real gateway or worker scrape shows, so that they cannot rot.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { request } from 'undici';
import { parse as parseYaml } from 'yaml';
import type { DataItem } from '@broker/data-items';
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
  codes,
  gql,
  personQuery,
  startSimulator,
  startTestBroker,
  type TestBroker,
  type TestSimulator,
} from './support/test-broker';

const ROOT = path.resolve(__dirname, '..');

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await request(url);
  return { status: res.statusCode, text: await res.body.text() };
}

/** The names of the metrics a scrape declares (`# TYPE <name> <type>`). */
function declared(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
}

/** Every broker_* name in a PromQL text, a histogram's series (_bucket, _sum, _count) named by their metric. */
function referenced(exprs: readonly string[], types: Map<string, string>): Set<string> {
  const out = new Set<string>();
  for (const e of exprs)
    for (const [name] of e.matchAll(/\bbroker_[a-z0-9_]+/g)) {
      const base = name.replace(/_(bucket|sum|count)$/, '');
      out.add(base !== name && types.get(base) === 'histogram' ? base : name);
    }
  return out;
}

/** Every `expr` of the alert rules, every target of the dashboard. */
function shippedExpressions(): { alerts: string[]; dashboard: string[] } {
  const rules = parseYaml(readFileSync(path.join(ROOT, 'deploy/prometheus/alerts.yml'), 'utf8')) as {
    groups: { rules: { expr: string }[] }[];
  };
  const dash = JSON.parse(readFileSync(path.join(ROOT, 'deploy/grafana/broker-overview.json'), 'utf8')) as {
    panels: { targets?: { expr: string }[] }[];
  };
  return {
    alerts: rules.groups.flatMap((g) => g.rules.map((r) => r.expr)),
    dashboard: dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
  };
}

describe('metrics (prom-client)', () => {
  let sim: TestSimulator;
  let redis: TestRedis;
  let broker: TestBroker;
  let worker: TestWorker;
  let workerMetricsUrl: string;
  let A: string;

  beforeAll(async () => {
    sim = await startSimulator();
    redis = await startRedis();
    broker = await startTestBroker(sim.url, { REDIS_URL: redis.url, BATCH_EXECUTION: 'queue' });
    const port = await freePort();
    workerMetricsUrl = `http://127.0.0.1:${port}/metrics`;
    worker = startWorker({ ...broker.env, WORKER_METRICS_PORT: String(port) });
    await waitFor(
      'the worker metrics listener',
      () =>
        get(workerMetricsUrl).then(
          (r) => r.status === 200,
          () => false,
        ),
      60_000,
      200,
    );
    A = sim.population
      .list(0, 200)
      .filter((m) => sim.population.get(m)?.address && !sim.population.get(m)?.deathDate)[0];
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await broker?.close();
    await sim?.close();
    await redis?.stop();
  });

  const ask = async (consentIat?: number) => {
    const t = broker.trust;
    const consent = await mintConsent(t.i1.key, {
      issuer: t.i1.id,
      subject: A,
      audience: t.m1.id,
      purpose: GRANTED_PURPOSE,
      scope: t.m1.items as DataItem[],
      ...(consentIat ? { iat: consentIat, lifetimeS: 3600 } : {}),
    });
    return gql(
      broker.graphqlUrl,
      personQuery('surname'),
      { m: A },
      {
        authorization: `Bearer ${await mintMemberAssertion(t.m1.key, t.m1.id, t.brokerId)}`,
        'consent-token': consent,
      },
    );
  };

  it('observes a granted and a refused request in broker_request_duration_seconds, by operation and code', async () => {
    const granted = await ask();
    expect(granted.body.data?.person).toMatchObject({ surname: expect.any(String) as unknown });
    const refused = await ask(Math.floor(Date.now() / 1000) - 7200);
    expect(codes(refused)).toEqual(['CONSENT_EXPIRED']);

    const { status, text } = await get(broker.metricsUrl);
    expect(status).toBe(200);
    expect(text).toContain('# TYPE broker_request_duration_seconds histogram');
    for (const code of ['OK', 'CONSENT_EXPIRED']) {
      expect(text).toContain(`broker_request_duration_seconds_count{operation="person",code="${code}"} 1`);
      expect(text).toContain(
        `broker_request_duration_seconds_bucket{le="+Inf",operation="person",code="${code}"} 1`,
      );
      expect(text).toContain(
        `broker_request_duration_seconds_bucket{le="10",operation="person",code="${code}"} 1`,
      );
    }
    // the 1 ms bucket exists, and a request that reads a register and appends to the log is not faster
    expect(text).toContain(
      'broker_request_duration_seconds_bucket{le="0.001",operation="person",code="OK"} 0',
    );
    // the disclosure reached the other instruments: a source call and a log append observed
    expect(text).toMatch(/^broker_source_call_duration_seconds_count\{source="rnpp",outcome="ok"\} 1$/m);
    expect(text).toMatch(/^broker_access_log_append_duration_seconds_count [1-9]\d*$/m);
    expect(text).toMatch(/^broker_access_log_group_size_count [1-9]\d*$/m);
    expect(text).toMatch(/^broker_graphql_errors_total\{code="CONSENT_EXPIRED"\} 1$/m);
    expect(text).toMatch(/^broker_disclosures_total 1$/m);
    // process metrics of prom-client
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    // no matricule in any label or value
    expect(text).not.toContain(A);
    expect(text).not.toMatch(/="\d{13}"/);
  });

  it('is not served on the public port', async () => {
    expect((await get(`${broker.baseUrl}/metrics`)).status).toBe(404);
  });

  it("serves the worker's own metrics on its loopback port: jobs, queue depth, process", async () => {
    const { status, text } = await get(workerMetricsUrl);
    expect(status).toBe(200);
    expect(text).toContain('# TYPE broker_batch_job_duration_seconds histogram');
    expect(text).toMatch(/^broker_batch_dead_letters_total\{queue="person-batch\.v1"\} 0$/m);
    expect(text).toMatch(/^broker_batch_queue_jobs\{state="waiting"\} \d+$/m);
    expect(text).toMatch(/^broker_batch_queue_up 1$/m);
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
  });

  it('ships alert rules and a dashboard that name only metrics a gateway or worker exposes', async () => {
    const scraped = new Map([
      ...declared((await get(workerMetricsUrl)).text),
      ...declared((await get(broker.metricsUrl)).text),
    ]);
    const { alerts, dashboard } = shippedExpressions();
    expect(alerts.length).toBeGreaterThan(5);
    expect(dashboard.length).toBeGreaterThan(10);
    const missing = (exprs: string[]) => [...referenced(exprs, scraped)].filter((n) => !scraped.has(n));
    expect({ alerts: missing(alerts), dashboard: missing(dashboard) }).toEqual({ alerts: [], dashboard: [] });
    // and the dashboard covers what an operator looks at first
    const names = referenced(dashboard, scraped);
    for (const n of [
      'broker_request_duration_seconds',
      'broker_source_call_duration_seconds',
      'broker_access_log_append_duration_seconds',
      'broker_log_checkpoint_age_seconds',
      'broker_batch_queue_jobs',
    ])
      expect(names).toContain(n);
  });
});
