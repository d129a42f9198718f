import { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleWhen,
  retry,
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
    /** Whether another attempt may follow; only an attempt cut by the call's spent budget says no. */
    readonly retryable: boolean = transient,
  ) {
    super(`register call failed (${problem})`);
    this.name = 'RegisterFailure';
  }
}

/** Counts against the circuit: the register's or the network's trouble. */
function isTransient(e: Error): boolean {
  if (e instanceof RegisterFailure) return e.transient;
  // An open circuit is the answer, not a reason to try again inside the same budget.
  if (e instanceof BrokenCircuitError || e instanceof BrokerError) return false;
  // Socket errors (undici's, its headers and body timeouts included) are the register's or the network's.
  return true;
}

/** Worth another attempt inside the call's budget. */
function isRetryable(e: Error): boolean {
  return e instanceof RegisterFailure ? e.retryable : isTransient(e);
}

function problemOf(e: unknown): RegisterProblem {
  if (e instanceof RegisterFailure) return e.problem;
  if (e instanceof BrokenCircuitError) return 'circuit-open';
  return 'transport';
}

/**
 * The abort signal of one attempt, given to undici's `request` (which takes an EventEmitter with
 * `aborted`, `reason` and an `abort` event as well as an AbortSignal). An AbortController per
 * attempt costs more than the call's own work on the success path: creating its AbortSignal (an
 * EventTarget), undici's `addEventListener` on it, and, when aborted after the answer as
 * cockatiel's timeout policy does, a DOMException with its stack. This one is a plain emitter,
 * aborted only when the attempt's time or the call's budget runs out.
 */
export class AttemptSignal extends EventEmitter {
  aborted = false;
  reason: Error | undefined = undefined;

  /** Aborts the attempt with `reason` (undici fails the request, or its body, with it); once. */
  abort(reason: Error): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }
}

/** What one attempt gets: the register's pool and the attempt's signal, to pass to `request`. */
export type RegisterAttempt<T> = (pool: Pool, signal: AttemptSignal) => Promise<T>;

/** One call's state across its attempts. */
interface CallState {
  /** The call's budget ran out: no attempt may start. */
  spent: boolean;
  /** Ends the attempt in flight, if any. */
  cancel: ((e: RegisterFailure) => void) | null;
}

/** Answers bigger than this are refused: a register answer for one person is a few KiB. */
export const MAX_ANSWER_BYTES = 1_048_576;

/**
 * One register's connection pool and call policy: keep-alive (one undici pool), a per-attempt
 * timeout, retries with exponential backoff on transient failures only, an overall budget, and a
 * circuit breaker so that a register that is down is answered at once instead of after every
 * caller's own timeouts. Shared by the RNPP, CCSS and RCS adapters.
 *
 * Retries and the circuit breaker are cockatiel's. The two timeouts are not cockatiel's timeout
 * policy: that one creates an AbortController per call and per attempt, listeners on them, a
 * Promise.race, and aborts each controller when the work returns (a DOMException each), about
 * 20-60 µs of CPU per call against the ~40 µs of the HTTP exchange itself (issue 13's profile).
 * Here each is one timer: the budget's per call, the attempt's per attempt, each of which rejects
 * at once when it fires (an attempt still queued in the pool too) and aborts the request in flight
 * through its AttemptSignal. Nothing is allocated for them beyond the timers, the signal and a
 * promise; nothing is aborted when the answer came in time.
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
    const breaker = circuitBreaker(handleWhen(isTransient), {
      halfOpenAfter: opts.halfOpenAfterMs ?? 5_000,
      breaker: new ConsecutiveBreaker(opts.breakerThreshold ?? 5),
    });
    breaker.onBreak(() => this.logger.warn('circuit opened: the register is failing'));
    breaker.onReset(() => this.logger.log('circuit closed: the register answers again'));
    this.policy = wrap(
      retry(handleWhen(isRetryable), {
        maxAttempts: opts.maxAttempts - 1,
        backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 500 }),
      }),
      breaker,
    );
  }

  /**
   * Runs `attempt` under the policy. Whatever goes wrong comes out as
   * BrokerError(SOURCE_UNAVAILABLE, { source, problem }); BrokerErrors thrown by `attempt` pass.
   */
  async call<T>(attempt: RegisterAttempt<T>): Promise<T> {
    try {
      return await this.run(attempt);
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

  /**
   * Runs `attempt` under the policy and lets its failures out as they are: the last attempt's
   * error (RegisterFailure, undici's, or the attempt's own BrokerError), BrokenCircuitError when
   * the circuit is open, RegisterFailure('timeout') when the budget ran out.
   */
  run<T>(attempt: RegisterAttempt<T>): Promise<T> {
    const call: CallState = { spent: false, cancel: null };
    return new Promise<T>((resolve, reject) => {
      const budget = setTimeout(() => {
        call.spent = true;
        // the attempt in flight counts against the circuit (the register was too slow) and ends
        call.cancel?.(new RegisterFailure('timeout', true, false));
        reject(new RegisterFailure('timeout', false));
      }, this.opts.totalTimeoutMs);
      this.policy
        .execute(() => this.attempt(call, attempt))
        .then(
          (value: T) => {
            clearTimeout(budget);
            resolve(value);
          },
          (e: unknown) => {
            clearTimeout(budget);
            reject(e);
          },
        );
    });
  }

  /** One attempt: `attempt` with its signal, failed with RegisterFailure('timeout') at its time. */
  private attempt<T>(call: CallState, attempt: RegisterAttempt<T>): Promise<T> {
    // the budget ran out during a backoff: no call, nothing counted, no further attempt
    if (call.spent) return Promise.reject(new RegisterFailure('timeout', false));
    const signal = new AttemptSignal();
    return new Promise<T>((resolve, reject) => {
      const end = (e: RegisterFailure): void => {
        clearTimeout(timer);
        if (call.cancel === end) call.cancel = null;
        signal.abort(e);
        reject(e);
      };
      const timer = setTimeout(() => end(new RegisterFailure('timeout', true)), this.opts.attemptTimeoutMs);
      call.cancel = end;
      let work: Promise<T>;
      try {
        work = attempt(this.pool, signal);
      } catch (e) {
        work = Promise.reject(e as Error);
      }
      work.then(
        (value) => {
          clearTimeout(timer);
          if (call.cancel === end) call.cancel = null;
          resolve(value);
        },
        (e: unknown) => {
          clearTimeout(timer);
          if (call.cancel === end) call.cancel = null;
          reject(e);
        },
      );
    });
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
