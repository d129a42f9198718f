/**
 * The application log of a real gateway process (`dist/`): with LOG_FORMAT=json every stdout line
 * is one JSON object, each GraphQL request leaves a line with its correlation id, member and
 * outcome code, and no matricule or token is ever written, even when a request carries a bad
 * matricule; LOG_FORMAT=pretty is for people; any other value refuses to boot.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { request } from 'undici';
import type { DataItem } from '@broker/data-items';
import { GRANTED_PURPOSE, mintConsent, mintMemberAssertion } from '@broker/testing';
import { freePort, startWorker, waitFor } from './support/processes';
import {
  codes,
  gql,
  personQuery,
  startSimulator,
  startTestBroker,
  type TestBroker,
  type TestSimulator,
} from './support/test-broker';

const GATEWAY_MAIN = path.resolve(__dirname, '..', 'dist', 'apps', 'gateway', 'src', 'main.js');
const BAD_MATRICULE = '1234567890123';
// hex, not Date.now(): a 13-digit run in any log line is masked as a matricule would be
const tag = (): string => randomBytes(6).toString('hex');

interface GatewayProcess {
  url: string;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** The built gateway as a process, over the test broker's database, trust and keys. */
async function spawnGateway(broker: TestBroker, env: Record<string, string>): Promise<GatewayProcess> {
  const port = await freePort();
  const proc = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', GATEWAY_MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      ...broker.env,
      GATEWAY_PORT: String(port),
      METRICS_PORT: '0',
      LOG_LEVEL: 'log',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    url: `http://127.0.0.1:${port}`,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

async function ready(gw: GatewayProcess): Promise<void> {
  await waitFor(
    'the gateway',
    async () => {
      if (gw.stderr().includes('failed to start')) throw new Error(gw.stderr());
      const res = await request(`${gw.url}/health/live`).catch(() => undefined);
      await res?.body.dump();
      return res?.statusCode === 200;
    },
    60_000,
    200,
  );
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l.trim() !== '');

describe('application log', () => {
  let sim: TestSimulator;
  let broker: TestBroker;
  let A: string;

  beforeAll(async () => {
    sim = await startSimulator();
    broker = await startTestBroker(sim.url);
    A = sim.population.list(0, 200).filter((m) => !sim.population.get(m)?.deathDate)[0];
  });

  afterAll(async () => {
    await broker?.close();
    await sim?.close();
  });

  const t = () => broker.trust;
  const member = () => mintMemberAssertion(t().m1.key, t().m1.id, t().brokerId);
  const consent = (subject: string) =>
    mintConsent(t().i1.key, {
      issuer: t().i1.id,
      subject,
      audience: t().m1.id,
      purpose: GRANTED_PURPOSE,
      scope: t().m1.items as DataItem[],
    });

  describe('LOG_FORMAT=json', () => {
    let gw: GatewayProcess;
    let tokens: string[];
    let refusedCode: string | undefined;
    const granted = `log-e2e-ok-${tag()}`;
    const refused = `log-e2e-bad-${tag()}`;

    beforeAll(async () => {
      gw = await spawnGateway(broker, { LOG_FORMAT: 'json' });
      await ready(gw);
      const token = await member();
      const consentA = await consent(A);
      const consentBad = await consent(BAD_MATRICULE);
      tokens = [token, consentA, consentBad];
      const ok = await gql(
        `${gw.url}/graphql`,
        personQuery('surname'),
        { m: A },
        { authorization: `Bearer ${token}`, 'consent-token': consentA, 'x-correlation-id': granted },
      );
      expect(ok.body.data?.person).toEqual({ surname: expect.any(String) });
      const bad = await gql(
        `${gw.url}/graphql`,
        personQuery('surname'),
        { m: BAD_MATRICULE },
        { authorization: `Bearer ${token}`, 'consent-token': consentBad, 'x-correlation-id': refused },
      );
      refusedCode = codes(bad)[0];
      expect(refusedCode).toEqual(expect.any(String));
      // the request line is written as the answer leaves: stopping flushes whatever follows
      await gw.stop();
    });

    afterAll(async () => gw?.stop());

    it('writes one JSON object per stdout line', () => {
      const out = lines(gw.stdout());
      expect(out.length).toBeGreaterThan(5);
      for (const line of out) expect(() => JSON.parse(line) as unknown).not.toThrow();
    });

    it('keeps Nest logs as JSON with their context', () => {
      const records = lines(gw.stdout()).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(records).toContainEqual(
        expect.objectContaining({ context: 'Gateway', msg: expect.stringContaining('gateway listening on') }),
      );
    });

    it('logs each GraphQL request with its correlation id, member, operation and outcome code', () => {
      const records = lines(gw.stdout()).map((l) => JSON.parse(l) as Record<string, unknown>);
      const requests = records.filter((r) => r.msg === 'graphql request');
      expect(requests.find((r) => r.correlationId === granted)).toEqual(
        expect.objectContaining({
          context: 'GraphQLRequests',
          member: t().m1.id,
          operation: 'query person',
          code: 'OK',
          durationMs: expect.any(Number),
        }),
      );
      expect(requests.find((r) => r.correlationId === refused)).toEqual(
        expect.objectContaining({ member: t().m1.id, operation: 'query person', code: refusedCode }),
      );
    });

    it('never writes a matricule, a token or the variables', () => {
      const all = gw.stdout() + gw.stderr();
      expect(all).not.toContain(A);
      expect(all).not.toContain(BAD_MATRICULE);
      for (const token of tokens) {
        expect(all).not.toContain(token.slice(0, 40));
        expect(all).not.toContain(token.split('.')[2]);
      }
      expect(all).not.toMatch(/"variables"\s*:\s*\{/);
    });
  });

  it('writes lines for people with LOG_FORMAT=pretty', async () => {
    const gw = await spawnGateway(broker, { LOG_FORMAT: 'pretty' });
    try {
      await ready(gw);
      const cid = `log-e2e-pretty-${tag()}`;
      await gql(
        `${gw.url}/graphql`,
        personQuery('surname'),
        { m: BAD_MATRICULE },
        { 'x-correlation-id': cid },
      );
    } finally {
      await gw.stop();
    }
    const out = lines(gw.stdout());
    expect(out.join('\n')).toMatch(/INFO.*\[Gateway\] gateway listening on/);
    expect(out.join('\n')).toMatch(/\[GraphQLRequests\] graphql request/);
    for (const line of out) expect(() => JSON.parse(line) as unknown).toThrow();
    expect(gw.stdout() + gw.stderr()).not.toContain(BAD_MATRICULE);
  });

  it('gives the worker the same JSON lines, with its context', async () => {
    const worker = startWorker({ ...broker.env, LOG_FORMAT: 'json', LOG_LEVEL: 'log' });
    try {
      await waitFor('the worker', async () => worker.output().includes('processing'), 60_000, 200);
    } finally {
      await worker.stop();
    }
    const records = lines(worker.output()).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toContainEqual(
      expect.objectContaining({
        name: 'worker',
        context: 'Worker',
        msg: expect.stringContaining('processing'),
      }),
    );
  });

  it('refuses to boot with an unknown LOG_FORMAT, naming it', async () => {
    const gw = await spawnGateway(broker, { LOG_FORMAT: 'xml' });
    expect(await gw.exited).toBe(1);
    expect(gw.stderr()).toContain('LOG_FORMAT must be json or pretty, got "xml"');
  });
});
