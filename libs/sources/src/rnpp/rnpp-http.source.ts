import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { BrokenCircuitError } from 'cockatiel';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { BrokerError, ErrorCode } from '@broker/errors';
import type { PersonSource } from '../person-source';
import { RegisterCallPolicy, RegisterFailure } from '../register-call-policy';
import type { RnppField, RnppPerson } from './rnpp-person';

/**
 * A non-2xx answer from the register. Transient (retried, and counted against the circuit) for
 * 5xx and 429 only: the register's trouble, not an answer that would be the same on the next try.
 */
class RegisterHttpError extends RegisterFailure {
  constructor(readonly status: number) {
    super('http-status', status >= 500 || status === 429);
  }
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
 * every request has waited for its own timeouts: the shared RegisterCallPolicy. Its failures are
 * SOURCE_UNAVAILABLE with `{ source: 'rnpp' }` only, as they always were (the CCSS and RCS
 * adapters add a `problem`).
 */
export class RnppHttpSource implements PersonSource {
  readonly name = 'rnpp';
  private readonly logger = new Logger('RnppSource');
  private readonly register: RegisterCallPolicy;

  constructor(opts: RnppSourceOptions) {
    this.register = new RegisterCallPolicy(this.name, opts, this.logger);
  }

  async fetchPerson(
    matricule: string,
    fields: readonly RnppField[],
  ): Promise<Partial<RnppPerson> & { matricule: string }> {
    // no item asked (only the matricule): still ask the register, which confirms the person exists
    const path = `/persons/${encodeURIComponent(matricule)}?fields=${fields.length ? fields.join(',') : 'matricule'}`;
    try {
      return await this.register.run(async (pool, signal) => {
        const res = await pool.request({
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
          : e instanceof RegisterHttpError
            ? `HTTP ${e.status}`
            : e instanceof RegisterFailure
              ? e.problem
              : `transport: ${(e as { code?: string }).code ?? (e as Error).name}`;
      this.logger.warn(`register read failed (${why})`);
      throw new BrokerError(ErrorCode.SOURCE_UNAVAILABLE, 'The register did not answer; try again later.', {
        source: this.name,
      });
    }
  }

  isReady(): Promise<boolean> {
    return this.register.isReady();
  }

  /** Closes the keep-alive pool. */
  async close(): Promise<void> {
    await this.register.close();
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
