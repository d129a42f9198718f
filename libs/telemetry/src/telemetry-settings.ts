import { ConfigError } from '@broker/config';

type Env = Record<string, string | undefined>;

/** Whether and where this process exports traces, from the standard OTEL_* variables. */
export interface TelemetrySettings {
  /** The OTLP/HTTP traces URL, or null: no SDK, the API's no-op tracer. */
  tracesEndpoint: string | null;
  serviceName: string;
}

/**
 * Reads the OpenTelemetry settings once at boot. Traces are off unless an OTLP endpoint is
 * given (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces, as
 * the exporter reads them); OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turns them off
 * even then. The variables are the standard ones (not BrokerConfig's own) because the SDK and
 * exporter read them themselves: one name per setting for operators who know OpenTelemetry.
 * An endpoint that is not an http(s) URL refuses the boot, like every other bad setting.
 */
export function telemetrySettings(env: Env, defaultServiceName: string): TelemetrySettings {
  const serviceName = env.OTEL_SERVICE_NAME?.trim() || defaultServiceName;
  const disabled =
    env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' ||
    (env.OTEL_TRACES_EXPORTER ?? '')
      .split(',')
      .map((e) => e.trim())
      .includes('none');
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (disabled || (!specific && !base)) return { tracesEndpoint: null, serviceName };
  const problems: string[] = [];
  const name = specific ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  const raw = (specific || base) as string;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    problems.push(`${name} must be an http(s) URL (the OTLP/HTTP collector), got "${raw}"`);
  }
  if (url && url.protocol !== 'http:' && url.protocol !== 'https:')
    problems.push(`${name} must be an http(s) URL (OTLP/HTTP; gRPC is not built in), got "${raw}"`);
  const exporters = (env.OTEL_TRACES_EXPORTER ?? 'otlp').split(',').map((e) => e.trim());
  if (exporters.some((e) => e !== 'otlp' && e !== ''))
    problems.push(`OTEL_TRACES_EXPORTER must be otlp or none, got "${env.OTEL_TRACES_EXPORTER}"`);
  if (problems.length) throw new ConfigError(problems);
  // as the exporter resolves them: the signal's own URL as given, the base one with /v1/traces
  const tracesEndpoint = specific ? raw : `${raw.replace(/\/+$/, '')}/v1/traces`;
  return { tracesEndpoint, serviceName };
}
