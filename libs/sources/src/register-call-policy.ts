import { Logger } from '@nestjs/common';
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
  type IPolicy,
} from 'cockatiel';
import { Pool, type Dispatcher } from 'undici';
import { BrokerError, ErrorCode } from '@broker/errors';

/** Resilience settings shared by every register adapter (same meaning as RnppSourceOptions). */
export interface RegisterCallOptions {
  /** Base URL of the register (only its origin is used for the connection pool). */
  url: string;
  attemptTimeoutMs: number;
  /** Budget for one call, retries and backoff included. */
  totalTimeoutMs: number;
  maxAttempts: number;
  /** Consecutive transient failures that open the circuit. */
  breakerThreshold?: number;
  /** How long an open circuit refuses calls before letting one through. */
  halfOpenAfterMs?: number;
  connections?: number;
}

/**
 * Short, value-free reasons a register call failed; they go to `details.problem` of the
 * SOURCE_UNAVAILABLE error and to the logs, so they never carry a matricule, a key or a body.
 */
export type RegisterProblem =
  | 'timeout'
  | 'circuit-open'
  | 'transport'
  | 'unavailable'
  | 'http-status'
  | 'malformed'
  | 'too-large'
  | 'shape'
  | 'credential'
  | 'unknown-person'
  | 'refused';

/**
 * A failed attempt, thrown by an adapter's work function. `transient` decides both whether the
 * attempt is retried and whether it counts against the circuit: only the register's own trouble
 * does, never an answer that would be the same on the next try.
 */
export class RegisterFailure extends Error {
  constructor(
    readonly problem: RegisterProblem,
    readonly transient: boolean,
  ) {
    super(`register call failed (${problem})`);
    this.name = 'RegisterFailure';
  }
}

function isTransient(e: Error): boolean {
  if (e instanceof RegisterFailure) return e.transient;
  // An open circuit is the answer, not a reason to try again inside the same budget.
  if (e instanceof BrokenCircuitError || e instanceof BrokerError) return false;
  // Attempt timeouts and socket errors (undici's) are the register's or the network's.
  return true;
}

function problemOf(e: unknown): RegisterProblem {
  if (e instanceof RegisterFailure) return e.problem;
  if (e instanceof BrokenCircuitError) return 'circuit-open';
  if (e instanceof TaskCancelledError) return 'timeout';
  return 'transport';
}

/** Answers bigger than this are refused: a register answer for one person is a few KiB. */
export const MAX_ANSWER_BYTES = 1_048_576;

/**
 * One register's connection pool and call policy: keep-alive (one undici pool), a per-attempt
 * timeout, retries with exponential backoff on transient failures only, an overall budget, and a
 * circuit breaker so that a register that is down is answered at once instead of after every
 * caller's own timeouts. Same layering as the RNPP adapter, shared by the CCSS and RCS adapters.
 */
export class RegisterCallPolicy {
  private readonly pool: Pool;
  private readonly policy: IPolicy;

  constructor(
    /** Short source name, put in every error's details (`ccss`, `rcs`). */
    readonly source: string,
    private readonly opts: RegisterCallOptions,
    private readonly logger: Logger,
  ) {
    this.pool = new Pool(new URL(opts.url).origin, {
      connections: opts.connections ?? 64,
      keepAliveTimeout: 10_000,
      connect: { timeout: Math.min(opts.attemptTimeoutMs, 1000) },
      headersTimeout: opts.attemptTimeoutMs,
      bodyTimeout: opts.attemptTimeoutMs,
    });
    const transient = handleWhen(isTransient);
    const breaker = circuitBreaker(transient, {
      halfOpenAfter: opts.halfOpenAfterMs ?? 5_000,
      breaker: new ConsecutiveBreaker(opts.breakerThreshold ?? 5),
    });
    breaker.onBreak(() => this.logger.warn('circuit opened: the register is failing'));
    breaker.onReset(() => this.logger.log('circuit closed: the register answers again'));
    this.policy = wrap(
      timeout(opts.totalTimeoutMs, TimeoutStrategy.Aggressive),
      retry(transient, {
        maxAttempts: opts.maxAttempts - 1,
        backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 500 }),
      }),
      breaker,
      timeout(opts.attemptTimeoutMs, TimeoutStrategy.Aggressive),
    );
  }

  /**
   * Runs `attempt` under the policy. Whatever goes wrong comes out as
   * BrokerError(SOURCE_UNAVAILABLE, { source, problem }); BrokerErrors thrown by `attempt` pass.
   */
  async call<T>(attempt: (pool: Pool, signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await this.policy.execute(({ signal }) => attempt(this.pool, signal));
    } catch (e) {
      if (e instanceof BrokerError) throw e;
      const problem = problemOf(e);
      this.logger.warn(`register read failed (${problem})`);
      throw new BrokerError(ErrorCode.SOURCE_UNAVAILABLE, 'The register did not answer; try again later.', {
        source: this.source,
        problem,
      });
    }
  }

  /** True when the register answers its health probe (`GET /health`). */
  async isReady(): Promise<boolean> {
    try {
      const res = await this.pool.request({
        path: '/health',
        method: 'GET',
        signal: AbortSignal.timeout(Math.min(this.opts.attemptTimeoutMs, 1000)),
      });
      await res.body.dump();
      return res.statusCode === 200;
    } catch {
      return false;
    }
  }

  /** Closes the keep-alive pool. */
  async close(): Promise<void> {
    await this.pool.close();
  }
}

/** Reads a whole answer body as UTF-8, refusing (transient: false) one over MAX_ANSWER_BYTES. */
export async function readCapped(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_ANSWER_BYTES) {
      body.destroy();
      throw new RegisterFailure('too-large', false);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
