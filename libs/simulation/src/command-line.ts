/**
 * The configuration every register simulator reads the same way: where to listen and which
 * population to serve, from the environment first, then from `--population`, `--port`, `--seed`
 * and `--host` (as `--flag value` or `--flag=value`).
 */
export interface BaseConfig {
  port: number;
  host: string;
  population: number;
  seed: number;
}

/** The environment's (or the defaults') text for each flag, before the command line overrides it. */
export type RawBaseConfig = Record<keyof BaseConfig, string>;

const FLAGS: Record<string, keyof BaseConfig> = {
  '--population': 'population',
  '--port': 'port',
  '--seed': 'seed',
  '--host': 'host',
};

/** Parses an integer in min..max, or throws a RangeError naming the setting. */
export function integer(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new RangeError(`${name} must be an integer in ${min}..${max}, got "${raw}"`);
  }
  return n;
}

/** Parses a finite number in min..max, or throws a RangeError naming the setting. */
export function decimal(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new RangeError(`${name} must be a number in ${min}..${max}, got "${raw}"`);
  }
  return n;
}

/** Lets the command-line flags override `fromEnv`, then checks the port, host, population and seed. */
export function readBaseConfig(
  fromEnv: RawBaseConfig,
  argv: readonly string[],
  maxPopulation: number,
): BaseConfig {
  const raw: RawBaseConfig = { ...fromEnv };
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
    population: integer('population', raw.population, 0, maxPopulation),
    seed: integer('seed', raw.seed, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
  };
}
