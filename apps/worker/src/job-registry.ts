import type { Type } from '@nestjs/common';

/** A queue's processor: the provider that takes that queue's jobs. */
export interface QueueProcessorRegistration {
  queue: string;
  processor: Type<unknown>;
}

/** Why a worker refuses to boot: a queue it consumes has no processor, or more than one. */
export class JobRegistryError extends Error {
  constructor(readonly problems: string[]) {
    super(`worker refuses to start: ${problems.join('; ')}`);
  }
}

/**
 * Maps each queue the worker consumes to exactly one processor. Every queue with none or with
 * several is named in one error, so that a worker never starts and silently leaves a queue's
 * jobs waiting (or has two processors racing for them). Processors of queues the worker does not
 * consume are left out.
 */
export function buildJobRegistry(
  queues: readonly string[],
  registrations: readonly QueueProcessorRegistration[],
): Map<string, Type<unknown>> {
  const problems: string[] = [];
  const registry = new Map<string, Type<unknown>>();
  for (const queue of new Set(queues)) {
    const found = registrations.filter((r) => r.queue === queue);
    if (found.length === 0) problems.push(`queue ${queue} has no processor`);
    else if (found.length > 1)
      problems.push(
        `queue ${queue} has ${found.length} processors (${found.map((r) => r.processor.name).join(', ')})`,
      );
    else registry.set(queue, found[0].processor);
  }
  if (problems.length > 0) throw new JobRegistryError(problems);
  return registry;
}

/** The queues named in WORKER_QUEUES (comma-separated), or `all` when it is unset or empty. */
export function parseWorkerQueues(raw: string | undefined, all: readonly string[]): string[] {
  if (raw === undefined || raw.trim() === '') return [...all];
  const queues = raw.split(',').map((q) => q.trim());
  if (queues.some((q) => q === '')) throw new JobRegistryError(['WORKER_QUEUES has an empty queue name']);
  return queues;
}
