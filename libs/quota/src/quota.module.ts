import { Module } from '@nestjs/common';
import IORedis from 'ioredis';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { QUOTA_REDIS, RequestRateLimiter } from './request-rate-limiter.service';

/** Longest a quota check waits for Redis before the insurance limiter decides. */
const REDIS_COMMAND_TIMEOUT_MS = 250;

/** Per-member quotas shared through Redis (the gateway's requests per second). */
@Module({
  providers: [
    {
      provide: QUOTA_REDIS,
      inject: [BROKER_CONFIG],
      // its own connection, tuned to fail fast: no offline queue (a request never waits for a
      // reconnection), a short command timeout, and reconnection in the background
      useFactory: (c: BrokerConfig) =>
        new IORedis(c.redisUrl, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
          connectionName: 'broker-quota',
        }),
    },
    RequestRateLimiter,
  ],
  exports: [RequestRateLimiter],
})
export class QuotaModule {}
