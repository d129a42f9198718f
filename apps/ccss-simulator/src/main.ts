/**
 * Entry point of the CCSS simulator. Environment: CCSS_PORT (4101), CCSS_HOST (127.0.0.1),
 * CCSS_LATENCY_MS (0), CCSS_FAILURE_RATE (0), CCSS_MALFORMED_RATE (0), CCSS_LOG_LEVEL (warn).
 * The persons are the RNPP simulator's, so the population is read from the same variables,
 * RNPP_POPULATION (10000) and RNPP_SEED (20131128); flags --population, --seed, --port and --host
 * override the environment.
 */
import {
  DEFAULT_POPULATION_SIZE,
  DEFAULT_SEED,
  generatePopulation,
  MAX_POPULATION_SIZE,
} from '../../rnpp-simulator/src/population';
import { decimal, MAX_LATENCY_MS, readBaseConfig, readLogFormat } from '@broker/simulation';
import { announce, fastifyLoggerOptions, type LogFormat } from '@broker/logging';
import { createAffiliationRegister } from './affiliations';
import { buildSimulator } from './server';

export interface SimulatorConfig {
  port: number;
  host: string;
  population: number;
  seed: number;
  latencyMs: number;
  failureRate: number;
  malformedRate: number;
  logLevel: string;
}

/** Reads the configuration from the environment, then lets command-line flags override it. */
export function readConfig(env: NodeJS.ProcessEnv, argv: readonly string[]): SimulatorConfig {
  return {
    ...readBaseConfig(
      {
        port: env.CCSS_PORT ?? '4101',
        host: env.CCSS_HOST ?? '127.0.0.1',
        population: env.RNPP_POPULATION ?? String(DEFAULT_POPULATION_SIZE),
        seed: env.RNPP_SEED ?? String(DEFAULT_SEED),
      },
      argv,
      MAX_POPULATION_SIZE,
    ),
    latencyMs: decimal('CCSS_LATENCY_MS', env.CCSS_LATENCY_MS ?? '0', 0, MAX_LATENCY_MS),
    failureRate: decimal('CCSS_FAILURE_RATE', env.CCSS_FAILURE_RATE ?? '0', 0, 1),
    malformedRate: decimal('CCSS_MALFORMED_RATE', env.CCSS_MALFORMED_RATE ?? '0', 0, 1),
    logLevel: env.CCSS_LOG_LEVEL ?? 'warn',
  };
}

/** Starts the simulator and stops it cleanly on SIGTERM/SIGINT. */
export async function main(): Promise<void> {
  let config: SimulatorConfig;
  let logFormat: LogFormat;
  try {
    config = readConfig(process.env, process.argv.slice(2));
    logFormat = readLogFormat(process.env);
  } catch (error) {
    process.stderr.write(`ccss-simulator: ${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const population = generatePopulation({ size: config.population, seed: config.seed });
  const app = buildSimulator({
    register: createAffiliationRegister(population),
    latencyMs: config.latencyMs,
    failureRate: config.failureRate,
    malformedRate: config.malformedRate,
    logger: fastifyLoggerOptions(logFormat, config.logLevel, 'ccss-simulator'),
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`ccss-simulator: error while closing: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  announce(
    app.log,
    logFormat,
    `ccss-simulator listening on http://${host}:${port} (SOAP 1.1 at /ccss, WSDL at /ccss?wsdl; ${population.size} persons, seed ${population.seed})`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`ccss-simulator: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
