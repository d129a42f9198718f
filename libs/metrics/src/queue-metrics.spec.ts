import { EventEmitter } from 'node:events';
import type { Job, Worker } from 'bullmq';
import { Registry } from 'prom-client';
import { observeQueueJobs } from './queue-metrics';

const job = (attemptsMade: number, attempts: number, ms: number) =>
  ({ attemptsMade, opts: { attempts }, processedOn: 1_000, finishedOn: 1_000 + ms }) as unknown as Job;

describe('observeQueueJobs', () => {
  it('observes durations by outcome and counts a dead letter only when the job fails for good', async () => {
    const registry = new Registry();
    const worker = new EventEmitter();
    observeQueueJobs(registry, 'person-batch.v1', worker as unknown as Worker);
    expect(await registry.metrics()).toContain('broker_batch_dead_letters_total{queue="person-batch.v1"} 0');

    worker.emit('completed', job(1, 5, 20));
    worker.emit('failed', job(1, 5, 30), new Error('source down')); // retried later
    worker.emit('failed', job(5, 5, 40), new Error('source down')); // its last attempt
    const unrecoverable = Object.assign(new Error('bad payload'), { name: 'UnrecoverableError' });
    worker.emit('failed', job(1, 5, 1), unrecoverable);
    worker.emit('failed', undefined, new Error('lost'));

    const text = await registry.metrics();
    expect(text).toContain('broker_batch_dead_letters_total{queue="person-batch.v1"} 2');
    const count = (outcome: string) =>
      new RegExp(
        `^broker_batch_job_duration_seconds_count\\{queue="person-batch.v1",outcome="${outcome}"\\} (\\d+)$`,
        'm',
      ).exec(text)?.[1];
    expect([count('completed'), count('failed'), count('dead_lettered')]).toEqual(['1', '1', '2']);
    expect(text).toContain(
      'broker_batch_job_duration_seconds_bucket{le="0.025",queue="person-batch.v1",outcome="completed"} 1',
    );
  });
});
