/**
 * Entry point of the RCS simulator. Environment: RCS_PORT (4102), RCS_HOST (127.0.0.1),
 * RCS_API_KEY_FILE (unset: `.data/rcs-api-key`, generated at first start), RCS_LATENCY_MS (0),
 * RCS_FAILURE_RATE (0), RCS_LOG_LEVEL (warn). The persons are the RNPP simulator's, so the
 * population is read from the same variables, RNPP_POPULATION (10000) and RNPP_SEED (20131128);
 * flags --population, --seed, --port and --host override the environment.
 */
import {
  DEFAULT_POPULATION_SIZE,
  DEFAULT_SEED,
  generatePopulation,
  MAX_POPULATION_SIZE,
} from '../../rnpp-simulator/src/population';
import {
  decimal,
  type LoadedApiKey,
  loadRcsApiKey,
  MAX_LATENCY_MS,
  readBaseConfig,
  readLogFormat,
} from '@broker/simulation';
import { announce, fastifyLoggerOptions, type LogFormat } from '@broker/logging';
import { createRoleRegister } from './business-roles';
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
        port: env.RCS_PORT ?? '4102',
        host: env.RCS_HOST ?? '127.0.0.1',
        population: env.RNPP_POPULATION ?? String(DEFAULT_POPULATION_SIZE),
        seed: env.RNPP_SEED ?? String(DEFAULT_SEED),
      },
      argv,
      MAX_POPULATION_SIZE,
    ),
    latencyMs: decimal('RCS_LATENCY_MS', env.RCS_LATENCY_MS ?? '0', 0, MAX_LATENCY_MS),
    failureRate: decimal('RCS_FAILURE_RATE', env.RCS_FAILURE_RATE ?? '0', 0, 1),
    logLevel: env.RCS_LOG_LEVEL ?? 'warn',
  };
}

/** Starts the simulator and stops it cleanly on SIGTERM/SIGINT. */
export async function main(): Promise<void> {
  let config: SimulatorConfig;
  let logFormat: LogFormat;
  let apiKey: LoadedApiKey;
  try {
    config = readConfig(process.env, process.argv.slice(2));
    logFormat = readLogFormat(process.env);
    apiKey = loadRcsApiKey(process.env);
  } catch (error) {
    process.stderr.write(`rcs-simulator: ${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const population = generatePopulation({ size: config.population, seed: config.seed });
  const app = buildSimulator({
    register: createRoleRegister(population),
    apiKey: apiKey.key,
    latencyMs: config.latencyMs,
    failureRate: config.failureRate,
    logger: fastifyLoggerOptions(logFormat, config.logLevel, 'rcs-simulator'),
  });
  if (apiKey.generated) {
    // The path only: the key itself is never printed.
    announce(
      app.log,
      logFormat,
      `rcs-simulator: generated a development API key in ${apiKey.file} (mode 0600)`,
    );
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    app.log.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`rcs-simulator: error while closing: ${(error as Error).message}\n`);
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
    `rcs-simulator listening on http://${host}:${port} (API key from ${apiKey.file}; ${population.size} persons, seed ${population.seed})`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`rcs-simulator: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
