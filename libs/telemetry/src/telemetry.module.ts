import { Global, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { shutdownTelemetry } from './telemetry-sdk';

/** Flushes the spans still buffered when the application shuts down (SIGTERM included). */
@Injectable()
export class TelemetryShutdown implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await shutdownTelemetry();
  }
}

/** Imported by each process's root module: the SDK itself is started in main, before Nest. */
@Global()
@Module({ providers: [TelemetryShutdown] })
export class TelemetryModule {}
