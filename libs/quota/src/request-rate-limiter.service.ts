import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { BROKER_CONFIG, redisNamespace, type BrokerConfig } from '@broker/config';
import { BrokerError, ErrorCode } from '@broker/errors';
import { TRUST_REGISTRY, type Member, type TrustRegistry } from '@broker/trust';
import { memberQuota, retryAfterSeconds } from './member-quota';

/** Injection token of the quota's own ioredis connection (QuotaModule). */
export const QUOTA_REDIS = Symbol('QUOTA_REDIS');

/** One second: `requestsPerSecond` points per fixed window. */
const WINDOW_S = 1;

/**
 * Per-member requests per second, counted in Redis so that every gateway shares one budget
 * (rate-limiter-flexible: one atomic round trip per request). When Redis does not answer, each
 * process counts alone with an in-memory insurance limiter of the same size (so N gateways allow
 * up to N times the quota meanwhile): a quota must never take the synchronous path down.
 */
@Injectable()
export class RequestRateLimiter implements OnApplicationShutdown {
  private readonly logger = new Logger('Quota');
  private readonly limiters = new Map<string, RateLimiterRedis>();
  private readonly keyPrefix: string;
  /** Decisions taken by the insurance limiter since boot (Redis unreachable), for operators. */
  private insured = 0;

  constructor(
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(TRUST_REGISTRY) trust: TrustRegistry,
    @Inject(QUOTA_REDIS) private readonly redis: Redis,
  ) {
    this.keyPrefix = `${redisNamespace(trust.brokerId, config.databaseUrl)}:quota:rps`;
    // one line per change of state, not one per request or per reconnection attempt
    let up = true;
    redis.on('error', (e: Error) => {
      if (!up) return;
      up = false;
      this.logger.warn(
        `Redis unreachable for quotas (${e.message}): each gateway process counts requests per second alone until it answers`,
      );
    });
    redis.on('ready', () => {
      if (up) return;
      up = true;
      this.logger.log('Redis answers again: quotas are shared by every gateway');
    });
  }

  /**
   * Counts one request of `member`; resolves null when it is within its quota, or the
   * RATE_LIMITED refusal to throw (never rejects: the caller starts it early and awaits it
   * where the refusal belongs among the other checks).
   */
  async admit(member: Member): Promise<BrokerError | null> {
    const limiter = this.limiterFor(member);
    if (this.redis.status !== 'ready') this.insured++;
    try {
      await limiter.consume(member.id);
      return null;
    } catch (e) {
      if (!(e instanceof RateLimiterRes)) {
        // both Redis and the insurance failed: let the request through rather than refuse everyone
        this.logger.error(`quota check failed: ${(e as Error).message}`);
        return null;
      }
      const seconds = retryAfterSeconds(e.msBeforeNext);
      return new BrokerError(
        ErrorCode.RATE_LIMITED,
        `Your administration is over its quota of ${limiter.points} requests per second; retry after ${seconds} s.`,
        { retryAfterSeconds: seconds, quota: 'requestsPerSecond', limit: limiter.points },
      );
    }
  }

  /** How many decisions were taken by the per-process insurance limiter (Redis unreachable). */
  insuredDecisions(): number {
    return this.insured;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** One limiter per member (a trust file names a bounded number), sized by its quota. */
  private limiterFor(member: Member): RateLimiterRedis {
    let limiter = this.limiters.get(member.id);
    if (!limiter) {
      const points = memberQuota(member, this.config.quota).requestsPerSecond;
      limiter = new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: this.keyPrefix,
        points,
        duration: WINDOW_S,
        // a connection not ready goes to the insurance at once instead of waiting on Redis
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ points, duration: WINDOW_S }),
      });
      this.limiters.set(member.id, limiter);
    }
    return limiter;
  }
}
