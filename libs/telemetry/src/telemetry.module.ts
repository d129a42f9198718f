import { Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { shutdownTelemetry } from './telemetry-sdk';

/** Flushes the spans still buffered when the application shuts down (SIGTERM included). */
@Injectable()
export class TelemetryShutdown implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await shutdownTelemetry();
  }
}

/**
 * Imported by each process's root module: the SDK itself is started in main, before Nest. Not
 * global: Nest shuts global modules down first, and this should flush as late as it can (after
 * the modules deeper than the root). Spans still open when it runs (a worker's chunks in hand at
 * SIGTERM, which the root's BatchWorkerService lets finish afterwards) are not exported.
 */
@Module({ providers: [TelemetryShutdown] })
export class TelemetryModule {}
