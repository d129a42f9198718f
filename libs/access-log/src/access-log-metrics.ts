import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Registry } from 'prom-client';
import {
  DURATION_BUCKETS,
  histogramOn,
  METRICS_REGISTRY,
  sampledCounter,
  sampledGauge,
} from '@broker/metrics';
import { AccessLogAppender } from './access-log-appender.service';

/** Group sizes, up to the appender's bound of 1,000 entries per commit. */
const GROUP_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/**
 * The access log's metrics, in an application that has a registry: the appender's own counts
 * (read at scrape time), the latency of an append (queue wait and group commit) and the size of
 * each group commit, observed as they happen.
 */
@Injectable()
export class AccessLogMetrics {
  constructor(
    @Inject(AccessLogAppender) appender: AccessLogAppender,
    @Optional() @Inject(METRICS_REGISTRY) registry?: Registry,
  ) {
    if (!registry) return;
    sampledCounter(registry, {
      name: 'broker_access_log_appended_total',
      help: 'Access-log entries made durable by this process.',
      read: () => [{ value: appender.stats.appended }],
    });
    sampledCounter(registry, {
      name: 'broker_access_log_append_failures_total',
      help: 'Group commits of the access log that failed (their entries refused, nothing disclosed).',
      read: () => [{ value: appender.stats.failures }],
    });
    sampledCounter(registry, {
      name: 'broker_access_log_rejected_total',
      help: 'Entries refused before their transaction: queue full, or past LOG_APPEND_DEADLINE_MS.',
      labelNames: ['reason'],
      read: () => [
        { labels: { reason: 'queue_full' }, value: appender.stats.rejectedQueueFull },
        { labels: { reason: 'deadline' }, value: appender.stats.rejectedDeadline },
      ],
    });
    sampledGauge(registry, {
      name: 'broker_access_log_queued',
      help: 'Entries waiting for a group commit (the queue depth).',
      read: () => [{ value: appender.queued }],
    });
    sampledGauge(registry, {
      name: 'broker_access_log_writable',
      help: 'The access log takes appends (1) or refuses them (0: failed commit, missed deadline, full queue).',
      read: () => [{ value: appender.writable ? 1 : 0 }],
    });
    const latency = histogramOn(registry, {
      name: 'broker_access_log_append_duration_seconds',
      help: 'From append() to the commit of its group (queue wait included), per entry.',
      buckets: DURATION_BUCKETS,
    });
    const groups = histogramOn(registry, {
      name: 'broker_access_log_group_size',
      help: 'Entries per group commit.',
      buckets: GROUP_BUCKETS,
    });
    appender.observer = {
      appendSeconds: (s) => latency.observe(s),
      groupSize: (n) => groups.observe(n),
    };
  }
}
