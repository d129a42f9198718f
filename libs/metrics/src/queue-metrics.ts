import type { Job, Worker } from 'bullmq';
import type { Registry } from 'prom-client';
import { counterOn, DURATION_BUCKETS, histogramOn } from './metrics-registry';

/** A job's processing from 1 ms to 5 min (a chunk of a batch, an audit export). */
const JOB_BUCKETS = [...DURATION_BUCKETS, 30, 60, 300];

/** The job was refused for good: its last attempt failed, or it can never succeed (UnrecoverableError). */
function isFinal(job: Job, error: Error): boolean {
  return error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
}

/**
 * Observes each job of `worker` (BullMQ): its processing time by queue and outcome (completed,
 * failed and retried later, dead_lettered) and the dead letters, jobs left in the queue's failed
 * set for operators. Queue names are the broker's own (PERSON_BATCH_QUEUE, AUDIT_EXPORT_QUEUE).
 */
export function observeQueueJobs(registry: Registry, queue: string, worker: Worker): void {
  const durations = histogramOn(registry, {
    name: 'broker_batch_job_duration_seconds',
    help: 'Processing time of one queue job (a batch chunk, an export), by queue and outcome.',
    labelNames: ['queue', 'outcome'],
    buckets: JOB_BUCKETS,
  });
  const deadLetters = counterOn(registry, {
    name: 'broker_batch_dead_letters_total',
    help: 'Jobs failed for good (last attempt, or unrecoverable), left in the failed set, by queue.',
    labelNames: ['queue'],
  });
  deadLetters.inc({ queue }, 0);
  const seconds = (job: Job) =>
    job.processedOn && job.finishedOn ? Math.max(0, job.finishedOn - job.processedOn) / 1000 : undefined;
  worker.on('completed', (job: Job) => {
    const s = seconds(job);
    if (s !== undefined) durations.observe({ queue, outcome: 'completed' }, s);
  });
  worker.on('failed', (job: Job | undefined, error: Error) => {
    if (!job) return;
    const final = isFinal(job, error);
    if (final) deadLetters.inc({ queue });
    const s = seconds(job);
    if (s !== undefined) durations.observe({ queue, outcome: final ? 'dead_lettered' : 'failed' }, s);
  });
}
