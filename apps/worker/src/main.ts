import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadBrokerConfig } from '@broker/config';
import { createLogger } from '@broker/logging';
import { startTelemetry } from '@broker/telemetry';
import { parseWorkerQueues } from './job-registry';
import { BROKER_QUEUES, WorkerModule } from './worker.module';

/**
 * `npm run start:worker`: one worker process (start more to scale; none assumes it is alone).
 * It refuses to start when a queue it consumes (WORKER_QUEUES, default all) has no processor or two.
 * SIGTERM/SIGINT finish the chunks in hand and exit.
 */
async function main(): Promise<void> {
  startTelemetry('broker-worker');
  const config = loadBrokerConfig();
  // worker-only setting, read here: which queues this worker consumes (each needs exactly one processor)
  const queues = parseWorkerQueues(process.env.WORKER_QUEUES, BROKER_QUEUES);
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config, queues), {
    logger: createLogger(config, 'worker'),
    abortOnError: false,
  });
  app.enableShutdownHooks();
  new Logger('Worker').log(
    `worker ${process.pid} processing ${queues.join(', ')} at ${new URL(config.redisUrl).host} (concurrency ${config.workerConcurrency})`,
  );
}

main().catch((e: unknown) => {
  console.error(`worker failed to start: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
