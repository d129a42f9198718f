/**
 * Entry point of the RNPP simulator. Environment: RNPP_PORT (4100), RNPP_HOST (127.0.0.1),
 * RNPP_POPULATION (10000), RNPP_SEED (20131128), RNPP_LATENCY_MS (0), RNPP_FAILURE_RATE (0),
 * RNPP_LOG_LEVEL (warn). Flags --population, --port, --seed and --host override the environment.
 */
import { DEFAULT_POPULATION_SIZE, DEFAULT_SEED, generatePopulation, MAX_POPULATION_SIZE } from './population';
import { decimal, MAX_LATENCY_MS, readBaseConfig, readLogFormat } from '@broker/simulation';
import { announce, fastifyLoggerOptions, type LogFormat } from '@broker/logging';
import { buildSimulator } from './server';

export interface SimulatorConfig {
  port: number;
  host: string;
  population: number;
  seed: number;
  latencyMs: number;
  failureRate: number;
  logLevel: string;
}

/** Reads the configuration from the environment, then lets command-line flags override it. */
export function readConfig(env: NodeJS.ProcessEnv, argv: readonly string[]): SimulatorConfig {
  return {
    ...readBaseConfig(
      {
        port: env.RNPP_PORT ?? '4100',
        host: env.RNPP_HOST ?? '127.0.0.1',
        population: env.RNPP_POPULATION ?? String(DEFAULT_POPULATION_SIZE),
        seed: env.RNPP_SEED ?? String(DEFAULT_SEED),
      },
      argv,
      MAX_POPULATION_SIZE,
    ),
    latencyMs: decimal('RNPP_LATENCY_MS', env.RNPP_LATENCY_MS ?? '0', 0, MAX_LATENCY_MS),
    failureRate: decimal('RNPP_FAILURE_RATE', env.RNPP_FAILURE_RATE ?? '0', 0, 1),
    logLevel: env.RNPP_LOG_LEVEL ?? 'warn',
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
    process.stderr.write(`rnpp-simulator: ${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const population = generatePopulation({ size: config.population, seed: config.seed });
  const app = buildSimulator({
    population,
    latencyMs: config.latencyMs,
    failureRate: config.failureRate,
    logger: fastifyLoggerOptions(logFormat, config.logLevel, 'rnpp-simulator'),
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second signal means the operator does not want to wait for in-flight requests.
      process.exit(1);
    }
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`rnpp-simulator: error while closing: ${(error as Error).message}\n`);
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
    `rnpp-simulator listening on http://${host}:${port} (${population.size} persons, seed ${population.seed})`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`rnpp-simulator: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
