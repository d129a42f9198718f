import type { QuotaDefaults } from '@broker/config';
import type { Member } from '@broker/trust';

/** The quota in force for a member: its trust-file `quota`, each limit left out taken from the defaults (QUOTA_*). */
export function memberQuota(member: Pick<Member, 'quota'>, defaults: QuotaDefaults): QuotaDefaults {
  return {
    requestsPerSecond: member.quota?.requestsPerSecond ?? defaults.requestsPerSecond,
    concurrentJobs: member.quota?.concurrentJobs ?? defaults.concurrentJobs,
  };
}

/** Retry-After in whole seconds (at least 1, as RFC 9110 delay-seconds) for a wait of `ms`. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
