export * from './member-quota';
export * from './request-rate-limiter.service';
export * from './quota.module';
