/**
 * The broker's configuration, read from the environment once at boot and validated as a whole:
 * a bad value stops the process with one message listing every problem.
 */
export interface BrokerConfig {
  mode: 'development' | 'production';
  gatewayHost: string;
  gatewayPort: number;
  rnppUrl: string;
  databaseUrl: string;
  /** Run pending migrations when a process boots (default on, except in production). */
  migrateOnBoot: boolean;
  trustFile: string | undefined;
  /** Per-attempt timeout of a register call. */
  rnppAttemptTimeoutMs: number;
  /** Budget for one register read including retries. */
  rnppTotalTimeoutMs: number;
  rnppMaxAttempts: number;
  /** Longest consent lifetime (exp - iat) the broker accepts. */
  maxConsentLifetimeS: number;
  /** Allowed clock skew between the broker and token signers. */
  clockToleranceS: number;
  /** Maximum HTTP body of a GraphQL request. */
  maxBodyBytes: number;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  /** The broker's own private signing key (JWK, EC P-256 or Ed25519) for checkpoints and export manifests. */
  signingKeyFile: string | undefined;
  /** How often the chain head is signed (a checkpoint is also made for every export). */
  checkpointIntervalS: number;
  /** Longest accepted lifetime of an auditor (staff) token. */
  maxStaffTokenLifetimeS: number;
  /** Redis for BullMQ queues; when nothing answers there, queued features are off (said at boot). */
  redisUrl: string;
  /** Where export jobs write their files (shared storage when gateways are several). */
  exportDir: string;
  /** How long an export job's download link (and its files) stay valid. */
  exportLinkTtlS: number;
  /** Largest HTTP body of a member's GraphQL request (a submitPersonBatch); others keep maxBodyBytes. */
  maxBatchBodyBytes: number;
  /** Most requests (citizens) in one submitPersonBatch. */
  batchMaxItems: number;
  /** Most batch jobs one member may have queued or running at once. */
  batchMaxInFlight: number;
  /** Items handled together by one queue job (one BullMQ job per chunk). */
  batchChunkSize: number;
  /** Attempts at a source read before an item is dead-lettered (FAILED). */
  batchMaxAttempts: number;
  /** First retry delay; doubles each attempt, with full jitter. */
  batchBackoffMs: number;
  /** How long a job's results are kept after completion, then purged. */
  batchRetentionS: number;
  /** How often the reconciler compares PostgreSQL (the truth) with the queue. */
  batchReconcileIntervalS: number;
  /** `queue`: BullMQ on Redis (required in production); `auto`: BullMQ when Redis answers, else in-process (development). */
  batchExecution: 'queue' | 'auto';
  /** File holding the AES-256-GCM key (base64, 32 bytes) that encrypts batch results at rest. */
  batchResultsKeyFile: string | undefined;
  /** Chunks one worker process handles at once. */
  workerConcurrency: number;
  /** CPU niceness of worker processes (0 to 19): batch work gives way to the synchronous path on a shared host. */
  workerNice: number;
  /** Longest accepted lifetime (exp - iat) of a citizen's ID token. */
  maxCitizenTokenLifetimeS: number;
  /** Private key of the demo identity provider (development mode only; generated at first start). */
  devIdpKeyFile: string;
}

export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/broker';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function intVar(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
    return fallback;
  }
  return n;
}

function urlVar(env: Env, name: string, fallback: string, schemes: string[], problems: string[]): string {
  const raw = env[name] || fallback;
  try {
    const u = new URL(raw);
    if (!schemes.includes(u.protocol))
      problems.push(`${name} must use ${schemes.join(' or ')}, got "${u.protocol}"`);
  } catch {
    problems.push(`${name} is not a URL`);
  }
  return raw;
}

/** Reads and validates the configuration; throws ConfigError listing every problem. */
export function loadBrokerConfig(env: Env = process.env): BrokerConfig {
  const problems: string[] = [];
  const modeRaw = env.BROKER_MODE ?? (env.NODE_ENV === 'production' ? 'production' : 'development');
  if (modeRaw !== 'development' && modeRaw !== 'production') {
    problems.push(`BROKER_MODE must be development or production, got "${modeRaw}"`);
  }
  const mode = modeRaw === 'production' ? 'production' : 'development';
  const gatewayPort = intVar(env, 'GATEWAY_PORT', 4000, 1, 65535, problems);
  const rnppPort = intVar(env, 'RNPP_PORT', 4100, 1, 65535, problems);
  const logLevel = (env.LOG_LEVEL ?? 'log') as BrokerConfig['logLevel'];
  if (!['error', 'warn', 'log', 'debug'].includes(logLevel))
    problems.push(`LOG_LEVEL must be error, warn, log or debug`);
  const migrate = env.DB_MIGRATE ?? (mode === 'production' ? 'off' : 'auto');
  if (migrate !== 'auto' && migrate !== 'off')
    problems.push(`DB_MIGRATE must be auto or off, got "${migrate}"`);
  const config: BrokerConfig = {
    mode,
    gatewayHost: env.GATEWAY_HOST || '127.0.0.1',
    gatewayPort,
    rnppUrl: urlVar(env, 'RNPP_URL', `http://127.0.0.1:${rnppPort}`, ['http:', 'https:'], problems).replace(
      /\/+$/,
      '',
    ),
    databaseUrl: urlVar(env, 'DATABASE_URL', DEFAULT_DATABASE_URL, ['postgres:', 'postgresql:'], problems),
    migrateOnBoot: migrate === 'auto',
    trustFile: env.BROKER_TRUST_FILE || undefined,
    rnppAttemptTimeoutMs: intVar(env, 'RNPP_ATTEMPT_TIMEOUT_MS', 1000, 50, 60000, problems),
    rnppTotalTimeoutMs: intVar(env, 'RNPP_TOTAL_TIMEOUT_MS', 2500, 50, 120000, problems),
    rnppMaxAttempts: intVar(env, 'RNPP_MAX_ATTEMPTS', 3, 1, 10, problems),
    maxConsentLifetimeS: intVar(env, 'CONSENT_MAX_LIFETIME_S', 366 * 86400, 60, 10 * 366 * 86400, problems),
    clockToleranceS: intVar(env, 'CLOCK_TOLERANCE_S', 30, 0, 300, problems),
    maxBodyBytes: intVar(env, 'GRAPHQL_MAX_BODY_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024, problems),
    logLevel,
    signingKeyFile: env.BROKER_SIGNING_KEY_FILE || undefined,
    checkpointIntervalS: intVar(env, 'CHECKPOINT_INTERVAL_S', 60, 1, 86400, problems),
    maxStaffTokenLifetimeS: intVar(env, 'STAFF_TOKEN_MAX_LIFETIME_S', 3600, 60, 86400, problems),
    redisUrl: urlVar(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:'], problems),
    exportDir: env.EXPORT_DIR || '.data/exports',
    exportLinkTtlS: intVar(env, 'EXPORT_LINK_TTL_S', 3600, 60, 7 * 86400, problems),
    maxBatchBodyBytes: intVar(
      env,
      'GRAPHQL_MAX_BATCH_BODY_BYTES',
      16 * 1024 * 1024,
      1024,
      256 * 1024 * 1024,
      problems,
    ),
    batchMaxItems: intVar(env, 'BATCH_MAX_ITEMS', 10_000, 1, 100_000, problems),
    batchMaxInFlight: intVar(env, 'BATCH_MAX_IN_FLIGHT', 4, 1, 1000, problems),
    batchChunkSize: intVar(env, 'BATCH_CHUNK_SIZE', 50, 1, 1000, problems),
    batchMaxAttempts: intVar(env, 'BATCH_MAX_ATTEMPTS', 5, 1, 50, problems),
    batchBackoffMs: intVar(env, 'BATCH_BACKOFF_MS', 1000, 10, 600_000, problems),
    batchRetentionS: intVar(env, 'BATCH_RETENTION_S', 86_400, 60, 90 * 86_400, problems),
    batchReconcileIntervalS: intVar(env, 'BATCH_RECONCILE_INTERVAL_S', 5, 1, 3600, problems),
    batchExecution: (env.BATCH_EXECUTION || (mode === 'production' ? 'queue' : 'auto')) as 'queue' | 'auto',
    batchResultsKeyFile: env.BATCH_RESULTS_KEY_FILE || undefined,
    workerConcurrency: intVar(env, 'WORKER_CONCURRENCY', 4, 1, 64, problems),
    workerNice: intVar(env, 'WORKER_NICE', 10, 0, 19, problems),
    maxCitizenTokenLifetimeS: intVar(env, 'CITIZEN_TOKEN_MAX_LIFETIME_S', 3600, 60, 86400, problems),
    devIdpKeyFile: env.BROKER_DEV_IDP_KEY_FILE || '.data/dev-idp-key.json',
  };
  if (config.batchExecution !== 'queue' && config.batchExecution !== 'auto')
    problems.push(`BATCH_EXECUTION must be queue or auto, got "${String(config.batchExecution)}"`);
  if (mode === 'production' && config.batchExecution !== 'queue')
    problems.push('BATCH_EXECUTION must be queue in production mode (jobs never run in-process there)');
  if (mode === 'production' && !config.batchResultsKeyFile)
    problems.push('BATCH_RESULTS_KEY_FILE is required in production mode (the batch results key)');
  if (config.maxBatchBodyBytes < config.maxBodyBytes)
    problems.push('GRAPHQL_MAX_BATCH_BODY_BYTES must not be below GRAPHQL_MAX_BODY_BYTES');
  if (mode === 'production' && !config.trustFile)
    problems.push('BROKER_TRUST_FILE is required in production mode');
  if (mode === 'production' && !config.signingKeyFile) {
    problems.push(
      'BROKER_SIGNING_KEY_FILE is required in production mode (dev keys are generated only in development)',
    );
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** The database URL with its password masked, for log lines. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<invalid url>';
  }
}
