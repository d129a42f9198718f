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
import { createAffiliationRegister } from './affiliations';
import { buildSimulator } from './server';
import { MAX_LATENCY_MS } from './sim-knobs';

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

const FLAGS: Record<string, 'population' | 'port' | 'seed' | 'host'> = {
  '--population': 'population',
  '--port': 'port',
  '--seed': 'seed',
  '--host': 'host',
};

function integer(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new RangeError(`${name} must be an integer in ${min}..${max}, got "${raw}"`);
  }
  return n;
}

function decimal(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new RangeError(`${name} must be a number in ${min}..${max}, got "${raw}"`);
  }
  return n;
}

/** Reads the configuration from the environment, then lets command-line flags override it. */
export function readConfig(env: NodeJS.ProcessEnv, argv: readonly string[]): SimulatorConfig {
  const raw: Record<string, string> = {
    port: env.CCSS_PORT ?? '4101',
    host: env.CCSS_HOST ?? '127.0.0.1',
    population: env.RNPP_POPULATION ?? String(DEFAULT_POPULATION_SIZE),
    seed: env.RNPP_SEED ?? String(DEFAULT_SEED),
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const key = FLAGS[flag];
    if (key === undefined) throw new RangeError(`unknown argument "${argv[i]}"`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new RangeError(`${flag} needs a value`);
    raw[key] = value;
  }
  if (raw.host.trim() === '') throw new RangeError('host must not be empty');
  return {
    port: integer('port', raw.port, 0, 65535),
    host: raw.host,
    population: integer('population', raw.population, 0, MAX_POPULATION_SIZE),
    seed: integer('seed', raw.seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    latencyMs: decimal('CCSS_LATENCY_MS', env.CCSS_LATENCY_MS ?? '0', 0, MAX_LATENCY_MS),
    failureRate: decimal('CCSS_FAILURE_RATE', env.CCSS_FAILURE_RATE ?? '0', 0, 1),
    malformedRate: decimal('CCSS_MALFORMED_RATE', env.CCSS_MALFORMED_RATE ?? '0', 0, 1),
    logLevel: env.CCSS_LOG_LEVEL ?? 'warn',
  };
}

/** Starts the simulator and stops it cleanly on SIGTERM/SIGINT. */
export async function main(): Promise<void> {
  let config: SimulatorConfig;
  try {
    config = readConfig(process.env, process.argv.slice(2));
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
    logger: { level: config.logLevel },
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
  process.stdout.write(
    `ccss-simulator listening on http://${host}:${port} (SOAP 1.1 at /ccss, WSDL at /ccss?wsdl; ${population.size} persons, seed ${population.seed})\n`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`ccss-simulator: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
