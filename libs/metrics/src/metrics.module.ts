import { Global, Module, type DynamicModule } from '@nestjs/common';
import { METRICS_REGISTRY, newMetricsRegistry } from './metrics-registry';
import { METRICS_LISTENER, MetricsServer, type MetricsListenerOptions } from './metrics-server';

/**
 * This application's metrics: its own prom-client registry (METRICS_REGISTRY, with the process
 * metrics) for every lib to count into, and the loopback listener that serves it. Libs take the
 * registry as optional: an application without this module (the CLI) counts nothing.
 */
@Global()
@Module({})
export class MetricsModule {
  /** `listener`: where this process's /metrics opens. */
  static forRoot(listener: MetricsListenerOptions): DynamicModule {
    return {
      module: MetricsModule,
      providers: [
        { provide: METRICS_REGISTRY, useFactory: newMetricsRegistry },
        { provide: METRICS_LISTENER, useValue: listener },
        MetricsServer,
      ],
      exports: [METRICS_REGISTRY, MetricsServer],
    };
  }
}
