import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { BrokerError, ErrorCode } from '@broker/errors';
import {
  AttemptSignal,
  RegisterCallPolicy,
  RegisterFailure,
  type RegisterAttempt,
  type RegisterCallOptions,
} from './register-call-policy';

/** What the test server does with one request: answer now, later, or never (until the client goes). */
type Behaviour = { answerAfterMs: number; status?: number } | 'stall';

/** Resolves to the BrokerError `p` fails with. */
async function failureOf(p: Promise<unknown>): Promise<BrokerError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof BrokerError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Timers of this process, as Node counts its active resources. */
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('RegisterCallPolicy against a real HTTP server', () => {
  let server: Server;
  let base: string;
  /** The behaviour of the next requests, in order; then `fallback`. */
  const plan: Behaviour[] = [];
  let fallback: Behaviour = { answerAfterMs: 0 };
  /** Requests received, and those whose client went away before the answer. */
  let received = 0;
  let abandoned = 0;
  const policies: RegisterCallPolicy[] = [];
  const warnings: string[] = [];

  const policy = (opts: Partial<RegisterCallOptions> = {}) => {
    const p = new RegisterCallPolicy(
      'test',
      // generous times unless a test is about them: the machine may be busy
      { url: base, attemptTimeoutMs: 2000, totalTimeoutMs: 5000, maxAttempts: 3, ...opts },
      new Logger('test'),
    );
    policies.push(p);
    return p;
  };
  /** GET /x, its body as text; a non-200 is a transient failure, as a register's 503. */
  const get: RegisterAttempt<string> = async (pool, signal) => {
    const res = await pool.request({ path: '/x', method: 'GET', signal });
    const body = await res.body.text();
    if (res.statusCode !== 200) throw new RegisterFailure('unavailable', true);
    return body;
  };

  beforeAll(async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((m: unknown) => void warnings.push(String(m)));
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      received++;
      const b = plan.shift() ?? fallback;
      let done = false;
      res.on('close', () => {
        if (!done) abandoned++;
      });
      if (b === 'stall') return;
      setTimeout(() => {
        if (res.destroyed) return;
        done = true;
        res.writeHead(b.status ?? 200, { 'content-type': 'text/plain' }).end('answer');
      }, b.answerAfterMs);
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  beforeEach(() => {
    plan.length = 0;
    fallback = { answerAfterMs: 0 };
    received = 0;
    abandoned = 0;
    warnings.length = 0;
  });

  afterEach(async () => {
    await Promise.all(policies.splice(0).map((p) => p.close()));
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    jest.restoreAllMocks();
  });

  it('answers with one request, and leaves no timer behind', async () => {
    const p = policy();
    await p.call(get); // the pool's connection is open now
    const before = timers();
    expect(await p.call(get)).toBe('answer');
    expect(received).toBe(2);
    expect(abandoned).toBe(0);
    expect(timers()).toBe(before);
  });

  it('gives the attempt an AttemptSignal that is never aborted when the answer came in time', async () => {
    let seen: AttemptSignal | undefined;
    expect(
      await policy().call(async (pool, signal) => {
        seen = signal;
        return get(pool, signal);
      }),
    ).toBe('answer');
    expect(seen).toBeInstanceOf(AttemptSignal);
    expect(seen!.aborted).toBe(false);
  });

  it('an attempt past its time is aborted (the register sees the request go) and the next one answers', async () => {
    plan.push('stall');
    const started = Date.now();
    expect(await policy({ attemptTimeoutMs: 300 }).call(get)).toBe('answer');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(received).toBe(2);
    await sleep(20);
    expect(abandoned).toBe(1);
  });

  it('every attempt past its time: SOURCE_UNAVAILABLE timeout after maxAttempts requests', async () => {
    fallback = 'stall';
    const e = await failureOf(policy({ attemptTimeoutMs: 100, maxAttempts: 3 }).call(get));
    expect(e.code).toBe(ErrorCode.SOURCE_UNAVAILABLE);
    expect(e.details).toEqual({ source: 'test', problem: 'timeout' });
    expect(received).toBe(3);
    await sleep(20);
    expect(abandoned).toBe(3);
    expect(warnings).toContain('register read failed (timeout)');
  });

  it('the budget ends the call at once, attempt in flight included, and no attempt starts after it', async () => {
    fallback = 'stall';
    const started = Date.now();
    const e = await failureOf(
      policy({ attemptTimeoutMs: 1000, totalTimeoutMs: 150, maxAttempts: 5 }).call(get),
    );
    const took = Date.now() - started;
    expect(e.details).toEqual({ source: 'test', problem: 'timeout' });
    expect(took).toBeGreaterThanOrEqual(145);
    expect(took).toBeLessThan(400);
    await sleep(50);
    expect(received).toBe(1);
    expect(abandoned).toBe(1);
  });

  it('the budget running out during a backoff: the call ends then, and no further request is sent', async () => {
    // attempt 1 fails fast (503); cockatiel's jitter drawn high, its first backoff is ~69 ms,
    // more than what is left of the budget
    const random = jest.spyOn(Math, 'random').mockReturnValue(0.999);
    fallback = { answerAfterMs: 0, status: 503 };
    const started = Date.now();
    const e = await failureOf(policy({ totalTimeoutMs: 30, maxAttempts: 3 }).call(get));
    expect(e.details).toEqual({ source: 'test', problem: 'timeout' });
    expect(Date.now() - started).toBeLessThan(200);
    random.mockRestore();
    await sleep(600); // past the longest backoff
    expect(received).toBe(1);
  });

  it('an attempt still queued in the pool fails at its time, not when a connection frees', async () => {
    const p = policy({ connections: 1, attemptTimeoutMs: 150, totalTimeoutMs: 150, maxAttempts: 1 });
    // the one connection is held 600 ms by a request that ignores its signal
    plan.push({ answerAfterMs: 600 });
    const first = failureOf(p.call((pool) => get(pool, new AttemptSignal())));
    await sleep(20);
    const started = Date.now();
    const second = await failureOf(p.call(get));
    expect(second.details).toEqual({ source: 'test', problem: 'timeout' });
    expect(Date.now() - started).toBeLessThan(300);
    expect((await first).details).toEqual({ source: 'test', problem: 'timeout' });
    expect(received).toBe(1);
    await sleep(600); // the held request ends before the pool closes
  });

  it('a failure that is not transient is not retried and does not count against the circuit', async () => {
    const p = policy({ breakerThreshold: 1 });
    for (let i = 0; i < 3; i++) {
      const e = await failureOf(
        p.call(async (pool, signal) => {
          await get(pool, signal);
          throw new RegisterFailure('shape', false);
        }),
      );
      expect(e.details).toEqual({ source: 'test', problem: 'shape' });
    }
    expect(received).toBe(3);
  });

  it("the attempt's own BrokerError passes unchanged, not retried", async () => {
    const notFound = new BrokerError(ErrorCode.PERSON_NOT_FOUND, 'no such person', { source: 'test' });
    const e = await failureOf(
      policy().call(async (pool, signal) => {
        await get(pool, signal);
        throw notFound;
      }),
    );
    expect(e).toBe(notFound);
    expect(received).toBe(1);
  });

  it('a transport error (nobody listening) is SOURCE_UNAVAILABLE transport', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const e = await failureOf(policy({ url: `http://127.0.0.1:${port}`, maxAttempts: 2 }).call(get));
    expect(e.details).toEqual({ source: 'test', problem: 'transport' });
  });

  it('the circuit opens after consecutive transient failures, answers at once while open, and closes again', async () => {
    const p = policy({ maxAttempts: 1, breakerThreshold: 2, halfOpenAfterMs: 200 });
    fallback = { answerAfterMs: 0, status: 503 };
    for (let i = 0; i < 2; i++)
      expect((await failureOf(p.call(get))).details).toEqual({ source: 'test', problem: 'unavailable' });
    const started = Date.now();
    expect((await failureOf(p.call(get))).details).toEqual({ source: 'test', problem: 'circuit-open' });
    expect(Date.now() - started).toBeLessThan(50);
    expect(received).toBe(2);
    expect(warnings).toContain('circuit opened: the register is failing');
    fallback = { answerAfterMs: 0 };
    await sleep(250);
    expect(await p.call(get)).toBe('answer');
  });

  it('an attempt cut by the budget counts against the circuit', async () => {
    const p = policy({ maxAttempts: 3, breakerThreshold: 1, attemptTimeoutMs: 1000, totalTimeoutMs: 100 });
    plan.push('stall');
    expect((await failureOf(p.call(get))).details).toEqual({ source: 'test', problem: 'timeout' });
    await sleep(20);
    expect((await failureOf(p.call(get))).details).toEqual({ source: 'test', problem: 'circuit-open' });
    expect(received).toBe(1);
  });

  it('an open circuit is not retried: one fast failure, whatever maxAttempts', async () => {
    const p = policy({ maxAttempts: 5, breakerThreshold: 1, halfOpenAfterMs: 10_000 });
    fallback = { answerAfterMs: 0, status: 503 };
    await failureOf(p.call(get)); // the first 503 opens the circuit; the retries meet it open
    expect(received).toBe(1);
    const started = Date.now();
    expect((await failureOf(p.call(get))).details).toEqual({ source: 'test', problem: 'circuit-open' });
    expect(Date.now() - started).toBeLessThan(50);
  });
});
