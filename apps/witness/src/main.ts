/**
 * Entry point of a witness (C2SP tlog-witness). Environment: WITNESS_PORT (4200), WITNESS_HOST
 * (127.0.0.1), WITNESS_DATA_DIR (`.data/witness`: its key and its records, nobody else's),
 * WITNESS_KEY_FILE (default `<data dir>/witness-key.pem`), WITNESS_NAME
 * (`witness.dev.broker.local`), WITNESS_LOGS (comma-separated log vkeys; the origin is each key's
 * name), WITNESS_LOG_LEVEL (info), LOG_FORMAT (json, or pretty in development), BROKER_MODE (production unless `development`: only development
 * generates a missing key, and trusts log keys on first use when WITNESS_LOGS is unset).
 */
import { announce } from '@broker/logging';
import { readWitnessConfig, type WitnessConfig } from './witness-config';
import { type RunningWitness, startWitness } from './witness-process';

/** Starts the witness and stops it cleanly on SIGTERM/SIGINT. */
export async function main(): Promise<void> {
  let config: WitnessConfig;
  let witness: RunningWitness;
  try {
    config = readWitnessConfig(process.env);
    witness = await startWitness(config);
  } catch (error) {
    process.stderr.write(`witness: ${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  if (witness.generatedKey) {
    // the path only: the key itself is never printed
    announce(
      witness.app.log,
      config.logFormat,
      `witness: generated a development key in ${config.keyFile} (mode 0600)`,
    );
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    witness.app.log.info({ signal }, 'shutting down');
    witness.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`witness: error while closing: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const logs = config.trustOnFirstUse
    ? 'logs: trust on first use (development)'
    : `logs: ${config.logs.map((v) => v.name).join(', ')}`;
  announce(witness.app.log, config.logFormat, `witness ${config.name} listening on ${witness.url} (${logs})`);
  announce(witness.app.log, config.logFormat, `witness vkey: ${witness.vkey}`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`witness: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
