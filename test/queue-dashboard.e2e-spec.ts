/**
 * The queue dashboards (bull-board) against a real gateway, Redis and PostgreSQL: read-only for
 * the operator role, actions only for the queue-admin role, with the Authorization header (never
 * the cookie alone) and never from another origin.
 */
import { request } from 'undici';
import { mintStaffToken } from '@broker/testing';
import { startRedis, type TestRedis } from './support/processes';
import { startSimulator, startTestBroker, type TestBroker, type TestSimulator } from './support/test-broker';

const QUEUE = 'person-batch.v1';

describe('queue dashboards: read-only unless the queue-admin role', () => {
  let sim: TestSimulator;
  let broker: TestBroker;
  let redis: TestRedis;
  beforeAll(async () => {
    sim = await startSimulator();
    redis = await startRedis();
    broker = await startTestBroker(sim.url, { REDIS_URL: redis.url, BATCH_EXECUTION: 'queue' });
  }, 60_000);
  afterAll(async () => {
    await broker?.close();
    await redis?.stop();
    await sim?.close();
  });

  const staff = (roles: string[]) =>
    mintStaffToken(broker.trust.s1.key, broker.trust.s1.id, broker.trust.brokerId, 'ops', { roles });

  async function call(
    method: 'GET' | 'PUT',
    path: string,
    headers: Record<string, string>,
  ): Promise<{ status: number; code?: string; json: () => unknown }> {
    const r = await request(`${broker.baseUrl}${path}`, { method, headers });
    const text = await r.body.text();
    const parse = () => JSON.parse(text) as { errors?: { extensions?: { code?: string } }[] };
    let code: string | undefined;
    try {
      code = parse().errors?.[0]?.extensions?.code;
    } catch {
      code = undefined;
    }
    return { status: r.statusCode, code, json: parse };
  }

  const pause = (board: string, headers: Record<string, string>) =>
    call('PUT', `${board}/api/queues/${QUEUE}/pause`, headers);
  const paused = async (board: string, token: string) => {
    const r = await call('GET', `${board}/api/queues`, { authorization: `Bearer ${token}` });
    const q = (
      r.json() as { queues: { name: string; isPaused: boolean; readOnlyMode: boolean }[] }
    ).queues.find((x) => x.name === QUEUE)!;
    return q;
  };

  it('shows the operator a read-only board and refuses every change there', async () => {
    const operator = await staff(['operator']);
    expect(await paused('/ops/queues', operator)).toMatchObject({ readOnlyMode: true, isPaused: false });
    for (const headers of <Record<string, string>[]>[
      { authorization: `Bearer ${operator}` },
      { cookie: `broker_ops=${operator}`, origin: broker.baseUrl },
    ]) {
      const r = await pause('/ops/queues', headers);
      expect([r.status, r.code]).toEqual([403, 'FORBIDDEN']);
    }
    // even a queue-admin token changes nothing on the read-only board
    const r = await pause('/ops/queues', { authorization: `Bearer ${await staff(['queue-admin'])}` });
    expect([r.status, r.code]).toEqual([403, 'FORBIDDEN']);
    expect((await paused('/ops/queues', operator)).isPaused).toBe(false);
  });

  it('keeps the operator out of the admin board', async () => {
    const operator = await staff(['operator']);
    const r = await call('GET', '/ops/queues-admin/api/queues', { authorization: `Bearer ${operator}` });
    expect([r.status, r.code]).toEqual([403, 'FORBIDDEN']);
    const p = await pause('/ops/queues-admin', { authorization: `Bearer ${operator}` });
    expect([p.status, p.code]).toEqual([403, 'FORBIDDEN']);
  });

  it('refuses a queue-admin change by cookie alone, or from another origin', async () => {
    const admin = await staff(['queue-admin']);
    const byCookie = await pause('/ops/queues-admin', {
      cookie: `broker_ops=${admin}`,
      origin: broker.baseUrl,
    });
    expect([byCookie.status, byCookie.code]).toEqual([403, 'FORBIDDEN']);
    const crossSite = await pause('/ops/queues-admin', {
      authorization: `Bearer ${admin}`,
      origin: 'https://evil.example',
    });
    expect([crossSite.status, crossSite.code]).toEqual([403, 'FORBIDDEN']);
    expect((await paused('/ops/queues-admin', admin)).isPaused).toBe(false);
  });

  it('lets a queue-admin act with the Authorization header from the gateway origin', async () => {
    const admin = await staff(['queue-admin']);
    expect(await paused('/ops/queues-admin', admin)).toMatchObject({ readOnlyMode: false, isPaused: false });
    const r = await pause('/ops/queues-admin', { authorization: `Bearer ${admin}`, origin: broker.baseUrl });
    expect(r.status).toBe(200);
    expect((await paused('/ops/queues-admin', admin)).isPaused).toBe(true);
    const resume = await call('PUT', `/ops/queues-admin/api/queues/${QUEUE}/resume`, {
      authorization: `Bearer ${admin}`,
    });
    expect(resume.status).toBe(200);
  });
});
