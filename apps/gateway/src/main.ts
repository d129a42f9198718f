import { modeOf } from '@broker/config';
import { startTelemetry } from '@broker/telemetry';
import { startGateway } from './bootstrap';

/** Traces first (off unless OTEL_EXPORTER_OTLP_*ENDPOINT is set), then the gateway. */
async function main(): Promise<unknown> {
  startTelemetry('broker-gateway');
  return startGateway();
}

main().catch((e: unknown) => {
  // the mode it was starting in: a refusal says whether production rules applied
  process.stderr.write(
    `gateway failed to start (${modeOf() ?? 'unknown'} mode): ${e instanceof Error ? e.message : String(e)}\n`,
  );
  process.exit(1);
});
