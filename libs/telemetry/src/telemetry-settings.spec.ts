import { ConfigError } from '@broker/config';
import { telemetrySettings } from './telemetry-settings';

describe('telemetrySettings (the standard OTEL_* variables, read once at boot)', () => {
  it('is off without an OTLP endpoint, whatever else is set', () => {
    expect(telemetrySettings({}, 'broker-gateway')).toEqual({
      tracesEndpoint: null,
      serviceName: 'broker-gateway',
    });
    expect(
      telemetrySettings(
        { OTEL_SERVICE_NAME: 'gw-2', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://c:4318/v1/metrics' },
        'broker-gateway',
      ).tracesEndpoint,
    ).toBeNull();
  });

  it('exports to the base endpoint + /v1/traces, or to the traces endpoint as given', () => {
    expect(
      telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }, 'w').tracesEndpoint,
    ).toBe('http://collector:4318/v1/traces');
    expect(
      telemetrySettings(
        {
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp',
        },
        'w',
      ).tracesEndpoint,
    ).toBe('https://traces.example/otlp');
  });

  it('takes OTEL_SERVICE_NAME over the default', () => {
    expect(
      telemetrySettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SERVICE_NAME: 'gw-2' }, 'x')
        .serviceName,
    ).toBe('gw-2');
  });

  it('stays off when OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none', () => {
    const base = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' };
    expect(telemetrySettings({ ...base, OTEL_SDK_DISABLED: 'true' }, 'x').tracesEndpoint).toBeNull();
    expect(telemetrySettings({ ...base, OTEL_TRACES_EXPORTER: 'none' }, 'x').tracesEndpoint).toBeNull();
  });

  it('refuses an endpoint that is no http(s) URL, and exporters it does not ship, naming the variable', () => {
    const refusal = (env: Record<string, string>): string[] => {
      try {
        telemetrySettings(env, 'x');
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).problems;
      }
      throw new Error('accepted');
    };
    expect(refusal({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })[0]).toMatch(
      /^OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/,
    );
    expect(refusal({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://c:4317' })[0]).toMatch(
      /^OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http\(s\) URL/,
    );
    expect(
      refusal({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'zipkin' })[0],
    ).toMatch(/^OTEL_TRACES_EXPORTER must be otlp or none/);
  });
});
