import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { telemetrySettings, type TelemetrySettings } from './telemetry-settings';

let sdk: NodeSDK | undefined;
let enabled = false;

/** True once startTelemetry started the SDK: span helpers do nothing at all otherwise. */
export function tracingEnabled(): boolean {
  return enabled;
}

/**
 * Starts the OpenTelemetry SDK when an OTLP endpoint is configured (see telemetrySettings), first
 * thing in a process's main. Returns the settings applied (tracesEndpoint null: nothing started,
 * the API stays the no-op tracer). Throws ConfigError on a bad endpoint.
 *
 * No auto-instrumentation: the spans are the broker's own (gateway request, register call, log
 * append, batch chunk), so that no URL (the RNPP's hold the matricule), SQL text or header ever
 * becomes an attribute. No resource detectors beyond OTEL_RESOURCE_ATTRIBUTES either (the process
 * detector would export the command line). Metrics and logs stay with prom-client and pino.
 */
export function startTelemetry(
  defaultServiceName: string,
  env: Record<string, string | undefined> = process.env,
): TelemetrySettings {
  const settings = telemetrySettings(env, defaultServiceName);
  if (!settings.tracesEndpoint || sdk) return settings;
  sdk = new NodeSDK({
    serviceName: settings.serviceName,
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName }),
    resourceDetectors: [envDetector],
    traceExporter: new OTLPTraceExporter({ url: settings.tracesEndpoint }),
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  enabled = true;
  return settings;
}

/** Exports the spans still buffered and stops the SDK (application shutdown); a no-op when off. */
export async function shutdownTelemetry(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  enabled = false;
  if (!running) return;
  await running.shutdown();
  // back to the no-op API: a later start in the same process (tests) registers afresh
  trace.disable();
  context.disable();
  propagation.disable();
}
