import { isLoopbackHost } from './loopback';

/**
 * The broker's configuration, read from the environment once at boot and validated as a whole:
 * a bad value stops the process with one message listing every problem.
 */
/** Where a register answers and how it is called: the same knobs for every register adapter. */
export interface RegisterSettings {
  url: string;
  /** Per-attempt timeout of a call. */
  attemptTimeoutMs: number;
  /** Budget for one read including retries. */
  totalTimeoutMs: number;
  maxAttempts: number;
  /** How long the circuit stays open after consecutive failures before one call tries again. */
  breakerHalfOpenMs: number;
}

export interface BrokerConfig {
  mode: 'development' | 'production';
  gatewayHost: string;
  gatewayPort: number;
  rnppUrl: string;
  /** The role the broker's pools connect as: the runtime role in production (docs/operations.md, "Database roles"). */
  databaseUrl: string;
  /** DATABASE_OWNER_URL: the tables' owner, for migrations (default DATABASE_URL, as in development). */
  databaseOwnerUrl: string | undefined;
  /** Run pending migrations when a process boots (default on, except in production). */
  migrateOnBoot: boolean;
  /**
   * DB_ROLE_SETUP=auto (the development default): when DATABASE_URL names a role that may create
   * roles, the broker migrates with it, then connects its pools as the login role DB_RUNTIME_ROLE,
   * a member of `broker_runtime` that it creates. `off` (production): DATABASE_URL as given.
   */
  dbRoleSetup: 'auto' | 'off';
  /** DB_RUNTIME_ROLE: the login role of the development setup (default broker_app). */
  dbRuntimeRole: string;
  /** DB_RUNTIME_PASSWORD_FILE: its generated password, used when DATABASE_URL carries one (password authentication). */
  dbRuntimePasswordFile: string;
  trustFile: string | undefined;
  /** Per-attempt timeout of a register call. */
  rnppAttemptTimeoutMs: number;
  /** Budget for one register read including retries. */
  rnppTotalTimeoutMs: number;
  rnppMaxAttempts: number;
  /** How long the register's circuit stays open after consecutive failures before one call tries it again. */
  rnppBreakerHalfOpenMs: number;
  /** The CCSS (social-security affiliations, SOAP): CCSS_URL, CCSS_ATTEMPT_TIMEOUT_MS... */
  ccss: RegisterSettings;
  /** The RCS (trade and companies register, REST) and the file of the broker's API key there. */
  rcs: RegisterSettings & { apiKeyFile: string };
  /** Longest consent lifetime (exp - iat) the broker accepts. */
  maxConsentLifetimeS: number;
  /** Allowed clock skew between the broker and token signers. */
  clockToleranceS: number;
  /** Maximum HTTP body of a GraphQL request. */
  maxBodyBytes: number;
  /** Longest GraphQL document (the query text), whatever the body limit: inputs travel in variables. */
  maxDocumentBytes: number;
  /** The origin browsers see (`https://broker.example.lu`) for cookie POSTs' Origin check; else the request's own. */
  publicOrigin: string | undefined;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  /** LOG_FORMAT: `json` (one object per line, the production default) or `pretty` (for people, the development default). */
  logFormat: 'json' | 'pretty';
  /** The broker's own private signing key (JWK, EC P-256 or Ed25519) for checkpoints and export manifests. */
  signingKeyFile: string | undefined;
  /** How often the chain head is signed (a checkpoint is also made for every export). */
  checkpointIntervalS: number;
  /** Longest accepted lifetime of a staff token: at most a member assertion's 300 s. */
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
  /** Port of the Prometheus listener, on 127.0.0.1 only (0: a free port, for tests). */
  metricsPort: number;
  /** METRICS_PORT was set: a port in use then stops the gateway; the default falls back to a free port. */
  metricsPortExplicit: boolean;
  /** Port of the worker's Prometheus listener, on 127.0.0.1 only (WORKER_METRICS_PORT; 0: a free port). */
  workerMetricsPort: number;
  /** WORKER_METRICS_PORT was set: a port in use then stops the worker; the default falls back to a free port. */
  workerMetricsPortExplicit: boolean;
  /** Bounds on every PostgreSQL connection of the main pool (docs/operations.md). */
  db: DatabaseLimits;
  /** The access-log appender's own pool and its group-commit queue (docs/operations.md). */
  logAppend: LogAppendLimits;
  /** The witnessed transparency log (docs/adr/0010-witnessed-transparency-log.md). */
  transparencyLog: TransparencyLogSettings;
  /** Per-member quotas for members whose trust-file entry sets none (QUOTA_*; docs/operations.md). */
  quota: QuotaDefaults;
}

/** The default per-member quota: QUOTA_REQUESTS_PER_SECOND and QUOTA_CONCURRENT_JOBS. */
export interface QuotaDefaults {
  /**
   * `person` requests per second per member, counted in Redis across all gateways. Generous by
   * default (5,000): a quota is for a member that needs a lower one, not a capacity limit.
   */
  requestsPerSecond: number;
  /** Batch jobs queued or running per member (default and most: BATCH_MAX_IN_FLIGHT, the deployment's ceiling). */
  concurrentJobs: number;
}

/** The Merkle tree's integrator, its note key and its witnesses (LOG_INTEGRATE_*, BROKER_NOTE_KEY_FILE, LOG_WITNESS_*). */
export interface TransparencyLogSettings {
  /**
   * The broker's Ed25519 note key (PKCS#8 PEM) that signs checkpoints; generated under .data/ in
   * development only. A gateway in production refuses to start without it (the worker needs none).
   */
  noteKeyFile: string | undefined;
  /** How often the active integrator adds new entries to the tree and signs a checkpoint. */
  integrateIntervalMs: number;
  /** Longest an entry may wait for a published checkpoint before the log is reported not ready. */
  publishMaxDelayMs: number;
  /** Longest wait for one witness's answer. */
  witnessTimeoutMs: number;
  /** While the log is not ready: keep the gateway ready and alert (`serve`), or report it not ready (`refuse`). */
  witnessFailure: 'serve' | 'refuse';
}

/** Bounds on a PostgreSQL pool: no call waits for the database longer than these. */
export interface DatabaseLimits {
  /** Connections in the pool. */
  poolSize: number;
  /** Server side: a statement running longer is cancelled (0: none, for migrations). */
  statementTimeoutMs: number;
  /** Server side: a session idle inside a transaction longer is ended (its locks released). */
  idleInTransactionTimeoutMs: number;
  /** Client side: a query whose answer has not arrived by then fails (0: none, for migrations). */
  queryTimeoutMs: number;
  /** Client side: opening a connection, or waiting for a free one in the pool. */
  connectTimeoutMs: number;
  /** TCP keepalive on every connection, first probe after this idle time. */
  keepAliveDelayMs: number;
}

/** The access-log appender: its pool (a DatabaseLimits of its own) and its queue. */
export interface LogAppendLimits extends DatabaseLimits {
  /** Most entries waiting for a group commit; beyond, append refuses at once. */
  queueMaxEntries: number;
  /** Longest an entry waits in the queue for its transaction to start; past it, it is refused. */
  deadlineMs: number;
}

/**
 * What the configuration is read for: a `server` (gateway, worker) needs its trust file and keys
 * in production and, in development, a loopback address; a `tool` (CLI, demo scripts) reads only
 * addresses and the database URL.
 */
export type ConfigUse = 'server' | 'tool';

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

/**
 * A register's settings from `<PREFIX>_URL` (default: 127.0.0.1 and `<PREFIX>_PORT`, the port its
 * simulator listens on) and `<PREFIX>_ATTEMPT_TIMEOUT_MS`, `_TOTAL_TIMEOUT_MS`, `_MAX_ATTEMPTS`,
 * `_BREAKER_HALF_OPEN_MS`, with the RNPP's defaults.
 */
export function registerSettings(
  env: Env,
  prefix: string,
  defaultPort: number,
  problems: string[],
): RegisterSettings {
  const port = intVar(env, `${prefix}_PORT`, defaultPort, 1, 65535, problems);
  return {
    url: urlVar(env, `${prefix}_URL`, `http://127.0.0.1:${port}`, ['http:', 'https:'], problems).replace(
      /\/+$/,
      '',
    ),
    attemptTimeoutMs: intVar(env, `${prefix}_ATTEMPT_TIMEOUT_MS`, 1000, 50, 60000, problems),
    totalTimeoutMs: intVar(env, `${prefix}_TOTAL_TIMEOUT_MS`, 2500, 50, 120000, problems),
    maxAttempts: intVar(env, `${prefix}_MAX_ATTEMPTS`, 3, 1, 10, problems),
    breakerHalfOpenMs: intVar(env, `${prefix}_BREAKER_HALF_OPEN_MS`, 5000, 100, 600_000, problems),
  };
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

/**
 * DB_* bound every connection of the main pool; LOG_* the appender's own small pool and queue.
 * A client-side timeout shorter than the server's would leave a connection in an unknown state
 * whenever the server is merely slow, so each query timeout must exceed its statement timeout.
 */
function databaseLimits(env: Env, problems: string[]): Pick<BrokerConfig, 'db' | 'logAppend'> {
  const keepAliveDelayMs = intVar(env, 'DB_KEEPALIVE_DELAY_MS', 10_000, 1000, 600_000, problems);
  const idleInTransactionTimeoutMs = intVar(
    env,
    'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS',
    10_000,
    1000,
    3_600_000,
    problems,
  );
  const db: DatabaseLimits = {
    poolSize: intVar(env, 'DB_POOL_SIZE', 20, 2, 500, problems),
    statementTimeoutMs: intVar(env, 'DB_STATEMENT_TIMEOUT_MS', 5000, 100, 3_600_000, problems),
    idleInTransactionTimeoutMs,
    queryTimeoutMs: intVar(env, 'DB_QUERY_TIMEOUT_MS', 6000, 200, 3_600_000, problems),
    connectTimeoutMs: intVar(env, 'DB_CONNECT_TIMEOUT_MS', 5000, 100, 120_000, problems),
    keepAliveDelayMs,
  };
  const logAppend: LogAppendLimits = {
    poolSize: intVar(env, 'LOG_POOL_SIZE', 3, 1, 32, problems),
    statementTimeoutMs: intVar(env, 'LOG_STATEMENT_TIMEOUT_MS', 2000, 100, 60_000, problems),
    idleInTransactionTimeoutMs,
    queryTimeoutMs: intVar(env, 'LOG_QUERY_TIMEOUT_MS', 3000, 200, 120_000, problems),
    connectTimeoutMs: intVar(env, 'LOG_CONNECT_TIMEOUT_MS', 3000, 100, 120_000, problems),
    keepAliveDelayMs,
    queueMaxEntries: intVar(env, 'LOG_QUEUE_MAX_ENTRIES', 5000, 1, 1_000_000, problems),
    deadlineMs: intVar(env, 'LOG_APPEND_DEADLINE_MS', 2000, 50, 60_000, problems),
  };
  for (const [prefix, l] of [
    ['DB', db],
    ['LOG', logAppend],
  ] as const) {
    if (l.queryTimeoutMs <= l.statementTimeoutMs)
      problems.push(`${prefix}_QUERY_TIMEOUT_MS must be above ${prefix}_STATEMENT_TIMEOUT_MS`);
  }
  return { db, logAppend };
}

/**
 * The default quota of a member without its own. QUOTA_CONCURRENT_JOBS defaults to
 * BATCH_MAX_IN_FLIGHT, so that a deployment that raised the ceiling keeps its members' limit, and
 * may not exceed it (the ceiling would answer first: TOO_MANY_JOBS).
 */
function quotaDefaults(env: Env, problems: string[]): QuotaDefaults {
  const ceiling = intVar(env, 'BATCH_MAX_IN_FLIGHT', 4, 1, 1000, []);
  const concurrentJobs = intVar(env, 'QUOTA_CONCURRENT_JOBS', ceiling, 1, 1000, problems);
  if (concurrentJobs > ceiling)
    problems.push(
      `QUOTA_CONCURRENT_JOBS must not be above BATCH_MAX_IN_FLIGHT (${ceiling}), got ${concurrentJobs}`,
    );
  return {
    requestsPerSecond: intVar(env, 'QUOTA_REQUESTS_PER_SECOND', 5000, 1, 1_000_000, problems),
    concurrentJobs,
  };
}

/** An optional origin (`scheme://host[:port]`, nothing after), as browsers send it in `Origin`. */
function originVar(env: Env, name: string, problems: string[]): string | undefined {
  const raw = env[name];
  if (!raw) return undefined;
  try {
    const u = new URL(raw);
    if ((u.protocol === 'http:' || u.protocol === 'https:') && u.origin === raw) return raw;
  } catch {
    // reported below
  }
  problems.push(`${name} must be an origin such as https://broker.example.lu (no path, no trailing slash)`);
  return undefined;
}

/** The mode `env` asks for (production unless BROKER_MODE=development), or undefined when BROKER_MODE is neither. */
export function modeOf(env: Env = process.env): BrokerConfig['mode'] | undefined {
  const raw = env.BROKER_MODE || 'production';
  return raw === 'production' || raw === 'development' ? raw : undefined;
}

/**
 * LOG_FORMAT of any process (the broker's, the witness, the simulators): `json` unless set, or
 * `pretty` in development; the problem to report when it is neither.
 */
export function logFormatOf(env: Env = process.env): { format: 'json' | 'pretty'; problem?: string } {
  const raw = env.LOG_FORMAT || (modeOf(env) === 'development' ? 'pretty' : 'json');
  if (raw === 'json' || raw === 'pretty') return { format: raw };
  return { format: 'json', problem: `LOG_FORMAT must be json or pretty, got "${raw}"` };
}

/**
 * Reads and validates the configuration; throws ConfigError listing every problem. Production is
 * the default: only BROKER_MODE=development turns on the demo sign-in and generated keys (NODE_ENV
 * is not read, so that no generic setting switches them on).
 */
export function loadBrokerConfig(env: Env = process.env, use: ConfigUse = 'server'): BrokerConfig {
  const problems: string[] = [];
  const modeRaw = env.BROKER_MODE || 'production';
  if (!modeOf(env)) problems.push(`BROKER_MODE must be development or production, got "${modeRaw}"`);
  const mode = modeRaw === 'production' ? 'production' : 'development';
  const gatewayPort = intVar(env, 'GATEWAY_PORT', 4000, 1, 65535, problems);
  const rnppPort = intVar(env, 'RNPP_PORT', 4100, 1, 65535, problems);
  const logLevel = (env.LOG_LEVEL ?? 'log') as BrokerConfig['logLevel'];
  if (!['error', 'warn', 'log', 'debug'].includes(logLevel))
    problems.push(`LOG_LEVEL must be error, warn, log or debug`);
  const logFormat = logFormatOf(env);
  if (logFormat.problem) problems.push(logFormat.problem);
  const migrate = env.DB_MIGRATE ?? (mode === 'production' ? 'off' : 'auto');
  if (migrate !== 'auto' && migrate !== 'off')
    problems.push(`DB_MIGRATE must be auto or off, got "${migrate}"`);
  const roleSetup = env.DB_ROLE_SETUP || (mode === 'production' ? 'off' : 'auto');
  if (roleSetup !== 'auto' && roleSetup !== 'off')
    problems.push(`DB_ROLE_SETUP must be auto or off, got "${roleSetup}"`);
  else if (roleSetup === 'auto' && mode === 'production')
    problems.push(
      'DB_ROLE_SETUP=auto is for development mode: in production the DBA creates the roles and DATABASE_URL names the runtime role (docs/operations.md)',
    );
  const runtimeRole = env.DB_RUNTIME_ROLE || 'broker_app';
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(runtimeRole) || runtimeRole === 'broker_runtime')
    problems.push(
      `DB_RUNTIME_ROLE must be a lower-case SQL identifier other than broker_runtime, got "${runtimeRole}"`,
    );
  const config: BrokerConfig = {
    mode,
    gatewayHost: env.GATEWAY_HOST || '127.0.0.1',
    gatewayPort,
    rnppUrl: urlVar(env, 'RNPP_URL', `http://127.0.0.1:${rnppPort}`, ['http:', 'https:'], problems).replace(
      /\/+$/,
      '',
    ),
    databaseUrl: urlVar(env, 'DATABASE_URL', DEFAULT_DATABASE_URL, ['postgres:', 'postgresql:'], problems),
    databaseOwnerUrl: env.DATABASE_OWNER_URL
      ? urlVar(env, 'DATABASE_OWNER_URL', '', ['postgres:', 'postgresql:'], problems)
      : undefined,
    migrateOnBoot: migrate === 'auto',
    dbRoleSetup: roleSetup === 'auto' ? 'auto' : 'off',
    dbRuntimeRole: runtimeRole,
    dbRuntimePasswordFile: env.DB_RUNTIME_PASSWORD_FILE || '.data/db-runtime-password',
    trustFile: env.BROKER_TRUST_FILE || undefined,
    rnppAttemptTimeoutMs: intVar(env, 'RNPP_ATTEMPT_TIMEOUT_MS', 1000, 50, 60000, problems),
    rnppTotalTimeoutMs: intVar(env, 'RNPP_TOTAL_TIMEOUT_MS', 2500, 50, 120000, problems),
    rnppMaxAttempts: intVar(env, 'RNPP_MAX_ATTEMPTS', 3, 1, 10, problems),
    rnppBreakerHalfOpenMs: intVar(env, 'RNPP_BREAKER_HALF_OPEN_MS', 5000, 100, 600_000, problems),
    ccss: registerSettings(env, 'CCSS', 4101, problems),
    rcs: {
      ...registerSettings(env, 'RCS', 4102, problems),
      apiKeyFile: env.RCS_API_KEY_FILE || '.data/rcs-api-key',
    },
    maxConsentLifetimeS: intVar(env, 'CONSENT_MAX_LIFETIME_S', 366 * 86400, 60, 10 * 366 * 86400, problems),
    clockToleranceS: intVar(env, 'CLOCK_TOLERANCE_S', 30, 0, 300, problems),
    maxBodyBytes: intVar(env, 'GRAPHQL_MAX_BODY_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024, problems),
    maxDocumentBytes: intVar(env, 'GRAPHQL_MAX_DOCUMENT_BYTES', 16 * 1024, 1024, 1024 * 1024, problems),
    publicOrigin: originVar(env, 'BROKER_PUBLIC_ORIGIN', problems),
    logLevel,
    logFormat: logFormat.format,
    signingKeyFile: env.BROKER_SIGNING_KEY_FILE || undefined,
    checkpointIntervalS: intVar(env, 'CHECKPOINT_INTERVAL_S', 60, 1, 86400, problems),
    maxStaffTokenLifetimeS: intVar(env, 'STAFF_TOKEN_MAX_LIFETIME_S', 300, 60, 3600, problems),
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
    metricsPort: intVar(env, 'METRICS_PORT', 9464, 0, 65535, problems),
    metricsPortExplicit: (env.METRICS_PORT ?? '') !== '',
    workerMetricsPort: intVar(env, 'WORKER_METRICS_PORT', 9465, 0, 65535, problems),
    workerMetricsPortExplicit: (env.WORKER_METRICS_PORT ?? '') !== '',
    ...databaseLimits(env, problems),
    transparencyLog: {
      noteKeyFile: env.BROKER_NOTE_KEY_FILE || undefined,
      integrateIntervalMs: intVar(env, 'LOG_INTEGRATE_INTERVAL_MS', 200, 10, 60_000, problems),
      publishMaxDelayMs: intVar(env, 'LOG_PUBLISH_MAX_DELAY_MS', 10_000, 500, 3_600_000, problems),
      witnessTimeoutMs: intVar(env, 'LOG_WITNESS_TIMEOUT_MS', 3000, 100, 60_000, problems),
      witnessFailure: (env.LOG_WITNESS_FAILURE || 'serve') as 'serve' | 'refuse',
    },
    quota: quotaDefaults(env, problems),
  };
  if (config.transparencyLog.witnessFailure !== 'serve' && config.transparencyLog.witnessFailure !== 'refuse')
    problems.push(
      `LOG_WITNESS_FAILURE must be serve or refuse, got "${config.transparencyLog.witnessFailure}"`,
    );
  if (config.batchExecution !== 'queue' && config.batchExecution !== 'auto')
    problems.push(`BATCH_EXECUTION must be queue or auto, got "${String(config.batchExecution)}"`);
  if (config.maxBatchBodyBytes < config.maxBodyBytes)
    problems.push('GRAPHQL_MAX_BATCH_BODY_BYTES must not be below GRAPHQL_MAX_BODY_BYTES');
  if (use === 'server') problems.push(...serverProblems(config));
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** What a server process needs beyond valid values: its files in production, loopback in development. */
function serverProblems(config: BrokerConfig): string[] {
  const problems: string[] = [];
  if (config.mode === 'development' && !isLoopbackHost(config.gatewayHost)) {
    problems.push(
      `GATEWAY_HOST must be a loopback address (127.0.0.1, ::1 or localhost) in development mode, got "${config.gatewayHost}": the demo sign-in mints tokens for anyone (BROKER_MODE=production to listen elsewhere)`,
    );
  }
  if (config.mode !== 'production') return problems;
  if (config.batchExecution !== 'queue')
    problems.push('BATCH_EXECUTION must be queue in production mode (jobs never run in-process there)');
  if (!config.batchResultsKeyFile)
    problems.push('BATCH_RESULTS_KEY_FILE is required in production mode (the batch results key)');
  if (!config.trustFile) problems.push('BROKER_TRUST_FILE is required in production mode');
  if (!config.signingKeyFile) {
    problems.push(
      'BROKER_SIGNING_KEY_FILE is required in production mode (dev keys are generated only in development)',
    );
  }
  return problems;
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
