import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
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
import { Pool } from 'undici';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { BrokerError, ErrorCode } from '@broker/errors';
import type { PersonSource } from '../person-source';
import type { RnppField, RnppPerson } from './rnpp-person';

/** A non-2xx answer from the register. */
class RegisterHttpError extends Error {
  constructor(readonly status: number) {
    super(`register answered HTTP ${status}`);
  }
}

/** Errors worth another attempt, and that count against the circuit: the register's, not ours. */
function isTransient(e: Error): boolean {
  if (e instanceof RegisterHttpError) return e.status >= 500 || e.status === 429;
  return !(e instanceof BrokerError);
}

export interface RnppSourceOptions {
  url: string;
  attemptTimeoutMs: number;
  totalTimeoutMs: number;
  maxAttempts: number;
  /** Consecutive failures that open the circuit. */
  breakerThreshold?: number;
  /** How long an open circuit refuses calls before letting one through. */
  halfOpenAfterMs?: number;
  connections?: number;
}

/**
 * The RNPP adapter: HTTP with keep-alive (one undici pool), a per-attempt timeout, retries with
 * exponential backoff and jitter on idempotent reads, an overall time budget, and a circuit
 * breaker so that a register that is down is answered SOURCE_UNAVAILABLE at once, not after
 * every request has waited for its own timeouts.
 */
export class RnppHttpSource implements PersonSource {
  readonly name = 'rnpp';
  private readonly logger = new Logger('RnppSource');
  private readonly pool: Pool;
  private readonly policy: IPolicy;

  constructor(private readonly opts: RnppSourceOptions) {
    const origin = new URL(opts.url);
    this.pool = new Pool(origin.origin, {
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

  async fetchPerson(
    matricule: string,
    fields: readonly RnppField[],
  ): Promise<Partial<RnppPerson> & { matricule: string }> {
    // no item asked (only the matricule): still ask the register, which confirms the person exists
    const path = `/persons/${encodeURIComponent(matricule)}?fields=${fields.length ? fields.join(',') : 'matricule'}`;
    try {
      return await this.policy.execute(async ({ signal }) => {
        const res = await this.pool.request({
          path,
          method: 'GET',
          signal,
          headers: { accept: 'application/json' },
        });
        if (res.statusCode === 404) {
          await res.body.dump();
          throw new BrokerError(
            ErrorCode.PERSON_NOT_FOUND,
            'The register knows no person with this matricule.',
            { source: this.name },
          );
        }
        if (res.statusCode !== 200) {
          await res.body.dump();
          throw new RegisterHttpError(res.statusCode);
        }
        return (await res.body.json()) as Partial<RnppPerson> & { matricule: string };
      });
    } catch (e) {
      if (e instanceof BrokerError) throw e;
      const why =
        e instanceof BrokenCircuitError
          ? 'circuit open'
          : e instanceof TaskCancelledError
            ? 'timeout'
            : e instanceof RegisterHttpError
              ? `HTTP ${e.status}`
              : `transport: ${(e as { code?: string }).code ?? (e as Error).name}`;
      this.logger.warn(`register read failed (${why})`);
      throw new BrokerError(ErrorCode.SOURCE_UNAVAILABLE, 'The register did not answer; try again later.', {
        source: this.name,
      });
    }
  }

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

/** Nest wrapper that builds the adapter from the configuration and closes it on shutdown. */
@Injectable()
export class RnppSourceProvider implements OnModuleDestroy {
  readonly source: RnppHttpSource;
  constructor(@Inject(BROKER_CONFIG) config: BrokerConfig) {
    this.source = new RnppHttpSource({
      url: config.rnppUrl,
      attemptTimeoutMs: config.rnppAttemptTimeoutMs,
      totalTimeoutMs: config.rnppTotalTimeoutMs,
      maxAttempts: config.rnppMaxAttempts,
      halfOpenAfterMs: config.rnppBreakerHalfOpenMs,
    });
  }
  async onModuleDestroy(): Promise<void> {
    await this.source.close();
  }
}
