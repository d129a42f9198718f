import { ConfigError, DEFAULT_DATABASE_URL, loadBrokerConfig, modeOf, redactUrl } from './broker-config';

/** The ConfigError thrown for `env` (fails the test if the configuration loads). */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadBrokerConfig(env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

/** Development mode, asked for explicitly (the default is production). */
const DEV = { BROKER_MODE: 'development' };

describe('loadBrokerConfig', () => {
  it('has documented defaults in development', () => {
    expect(loadBrokerConfig(DEV)).toEqual({
      mode: 'development',
      gatewayHost: '127.0.0.1',
      gatewayPort: 4000,
      rnppUrl: 'http://127.0.0.1:4100',
      databaseUrl: DEFAULT_DATABASE_URL,
      databaseOwnerUrl: undefined,
      migrateOnBoot: true,
      dbRoleSetup: 'auto',
      dbRuntimeRole: 'broker_app',
      dbRuntimePasswordFile: '.data/db-runtime-password',
      trustFile: undefined,
      logFormat: 'pretty',
      signingKeyFile: undefined,
      checkpointIntervalS: 60,
      maxStaffTokenLifetimeS: 300,
      redisUrl: 'redis://127.0.0.1:6379',
      exportDir: '.data/exports',
      exportLinkTtlS: 3600,
      maxCitizenTokenLifetimeS: 3600,
      devIdpKeyFile: '.data/dev-idp-key.json',
      rnppAttemptTimeoutMs: 1000,
      rnppTotalTimeoutMs: 2500,
      rnppMaxAttempts: 3,
      rnppBreakerHalfOpenMs: 5000,
      ccss: {
        url: 'http://127.0.0.1:4101',
        attemptTimeoutMs: 1000,
        totalTimeoutMs: 2500,
        maxAttempts: 3,
        breakerHalfOpenMs: 5000,
      },
      rcs: {
        url: 'http://127.0.0.1:4102',
        attemptTimeoutMs: 1000,
        totalTimeoutMs: 2500,
        maxAttempts: 3,
        breakerHalfOpenMs: 5000,
        apiKeyFile: '.data/rcs-api-key',
      },
      maxConsentLifetimeS: 366 * 86400,
      clockToleranceS: 30,
      maxBodyBytes: 64 * 1024,
      maxDocumentBytes: 16 * 1024,
      publicOrigin: undefined,
      logLevel: 'log',
      maxBatchBodyBytes: 16 * 1024 * 1024,
      batchMaxItems: 10_000,
      batchMaxInFlight: 4,
      batchChunkSize: 50,
      batchMaxAttempts: 5,
      batchBackoffMs: 1000,
      batchRetentionS: 86_400,
      batchReconcileIntervalS: 5,
      batchExecution: 'auto',
      batchResultsKeyFile: undefined,
      workerConcurrency: 4,
      metricsPort: 9464,
      metricsPortExplicit: false,
      workerMetricsPort: 9465,
      workerMetricsPortExplicit: false,
      db: {
        poolSize: 20,
        statementTimeoutMs: 5000,
        idleInTransactionTimeoutMs: 10_000,
        queryTimeoutMs: 6000,
        connectTimeoutMs: 5000,
        keepAliveDelayMs: 10_000,
      },
      logAppend: {
        poolSize: 3,
        statementTimeoutMs: 2000,
        idleInTransactionTimeoutMs: 10_000,
        queryTimeoutMs: 3000,
        connectTimeoutMs: 3000,
        keepAliveDelayMs: 10_000,
        queueMaxEntries: 5000,
        deadlineMs: 2000,
      },
      transparencyLog: {
        noteKeyFile: undefined,
        integrateIntervalMs: 200,
        publishMaxDelayMs: 10_000,
        witnessTimeoutMs: 3000,
        witnessFailure: 'serve',
      },
      quota: { requestsPerSecond: 5000, concurrentJobs: 4 },
      workerNice: 10,
    });
  });

  it('bounds every database wait, each query timeout above its statement timeout', () => {
    const c = loadBrokerConfig({
      BROKER_MODE: 'development',
      DB_POOL_SIZE: '8',
      DB_STATEMENT_TIMEOUT_MS: '1000',
      DB_QUERY_TIMEOUT_MS: '1500',
      DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '4000',
      DB_CONNECT_TIMEOUT_MS: '700',
      DB_KEEPALIVE_DELAY_MS: '2000',
      LOG_POOL_SIZE: '2',
      LOG_STATEMENT_TIMEOUT_MS: '300',
      LOG_QUERY_TIMEOUT_MS: '400',
      LOG_CONNECT_TIMEOUT_MS: '500',
      LOG_QUEUE_MAX_ENTRIES: '10',
      LOG_APPEND_DEADLINE_MS: '250',
    });
    expect(c.db).toEqual({
      poolSize: 8,
      statementTimeoutMs: 1000,
      idleInTransactionTimeoutMs: 4000,
      queryTimeoutMs: 1500,
      connectTimeoutMs: 700,
      keepAliveDelayMs: 2000,
    });
    expect(c.logAppend).toEqual({
      poolSize: 2,
      statementTimeoutMs: 300,
      idleInTransactionTimeoutMs: 4000,
      queryTimeoutMs: 400,
      connectTimeoutMs: 500,
      keepAliveDelayMs: 2000,
      queueMaxEntries: 10,
      deadlineMs: 250,
    });
    expect(configError({ BROKER_MODE: 'development', DB_STATEMENT_TIMEOUT_MS: '6000' }).problems).toEqual([
      'DB_QUERY_TIMEOUT_MS must be above DB_STATEMENT_TIMEOUT_MS',
    ]);
    expect(configError({ BROKER_MODE: 'development', LOG_QUERY_TIMEOUT_MS: '2000' }).problems).toEqual([
      'LOG_QUERY_TIMEOUT_MS must be above LOG_STATEMENT_TIMEOUT_MS',
    ]);
    expect(configError({ BROKER_MODE: 'development', LOG_QUEUE_MAX_ENTRIES: '0' }).problems[0]).toMatch(
      /^LOG_QUEUE_MAX_ENTRIES must be an integer in \[1, 1000000\]/,
    );
    expect(configError({ BROKER_MODE: 'development', DB_STATEMENT_TIMEOUT_MS: '0' }).problems[0]).toMatch(
      /^DB_STATEMENT_TIMEOUT_MS must be an integer in \[100, 3600000\]/,
    );
  });

  it('does not read process.env when an environment is given', () => {
    const saved = process.env.GATEWAY_PORT;
    process.env.GATEWAY_PORT = '9999';
    try {
      expect(loadBrokerConfig(DEV).gatewayPort).toBe(4000);
    } finally {
      if (saved === undefined) delete process.env.GATEWAY_PORT;
      else process.env.GATEWAY_PORT = saved;
    }
  });

  it('reads every variable', () => {
    const c = loadBrokerConfig({
      BROKER_MODE: 'production',
      BROKER_TRUST_FILE: '/etc/broker/trust.yaml',
      BROKER_SIGNING_KEY_FILE: '/etc/broker/signing-key.json',
      BROKER_NOTE_KEY_FILE: '/etc/broker/note-key.pem',
      LOG_INTEGRATE_INTERVAL_MS: '50',
      LOG_PUBLISH_MAX_DELAY_MS: '5000',
      LOG_WITNESS_TIMEOUT_MS: '1000',
      LOG_WITNESS_FAILURE: 'refuse',
      CHECKPOINT_INTERVAL_S: '30',
      STAFF_TOKEN_MAX_LIFETIME_S: '120',
      REDIS_URL: 'redis://redis:6379/2',
      EXPORT_DIR: '/srv/exports',
      EXPORT_LINK_TTL_S: '900',
      CITIZEN_TOKEN_MAX_LIFETIME_S: '600',
      BROKER_DEV_IDP_KEY_FILE: '/tmp/dev-idp.json',
      GATEWAY_HOST: '0.0.0.0',
      GATEWAY_PORT: '8080',
      RNPP_URL: 'https://rnpp.example.lu/api///',
      DATABASE_URL: 'postgresql://broker:secret@db:5432/broker',
      DATABASE_OWNER_URL: 'postgresql://broker_owner:secret@db:5432/broker',
      DB_RUNTIME_ROLE: 'broker_gw',
      DB_RUNTIME_PASSWORD_FILE: '/run/secrets/db',
      DB_MIGRATE: 'auto',
      RNPP_ATTEMPT_TIMEOUT_MS: '500',
      RNPP_TOTAL_TIMEOUT_MS: '2000',
      RNPP_MAX_ATTEMPTS: '5',
      RNPP_BREAKER_HALF_OPEN_MS: '250',
      CCSS_URL: 'http://ccss.example:8080/',
      CCSS_ATTEMPT_TIMEOUT_MS: '700',
      CCSS_TOTAL_TIMEOUT_MS: '1500',
      CCSS_MAX_ATTEMPTS: '2',
      CCSS_BREAKER_HALF_OPEN_MS: '900',
      RCS_PORT: '5102',
      RCS_API_KEY_FILE: '/run/secrets/rcs-key',
      CONSENT_MAX_LIFETIME_S: '86400',
      CLOCK_TOLERANCE_S: '0',
      GRAPHQL_MAX_BODY_BYTES: '1024',
      GRAPHQL_MAX_DOCUMENT_BYTES: '2048',
      BROKER_PUBLIC_ORIGIN: 'https://broker.example.lu',
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'pretty',
      GRAPHQL_MAX_BATCH_BODY_BYTES: '2048',
      BATCH_MAX_ITEMS: '500',
      BATCH_MAX_IN_FLIGHT: '2',
      BATCH_CHUNK_SIZE: '10',
      BATCH_MAX_ATTEMPTS: '3',
      BATCH_BACKOFF_MS: '200',
      BATCH_RETENTION_S: '3600',
      BATCH_RECONCILE_INTERVAL_S: '2',
      BATCH_EXECUTION: 'queue',
      QUOTA_REQUESTS_PER_SECOND: '20',
      QUOTA_CONCURRENT_JOBS: '1',
      BATCH_RESULTS_KEY_FILE: '/etc/broker/results.key',
      WORKER_CONCURRENCY: '8',
      METRICS_PORT: '9100',
    });
    expect(c).toEqual({
      mode: 'production',
      gatewayHost: '0.0.0.0',
      gatewayPort: 8080,
      rnppUrl: 'https://rnpp.example.lu/api',
      databaseUrl: 'postgresql://broker:secret@db:5432/broker',
      databaseOwnerUrl: 'postgresql://broker_owner:secret@db:5432/broker',
      migrateOnBoot: true,
      dbRoleSetup: 'off',
      dbRuntimeRole: 'broker_gw',
      dbRuntimePasswordFile: '/run/secrets/db',
      trustFile: '/etc/broker/trust.yaml',
      rnppAttemptTimeoutMs: 500,
      rnppTotalTimeoutMs: 2000,
      rnppMaxAttempts: 5,
      rnppBreakerHalfOpenMs: 250,
      ccss: {
        url: 'http://ccss.example:8080',
        attemptTimeoutMs: 700,
        totalTimeoutMs: 1500,
        maxAttempts: 2,
        breakerHalfOpenMs: 900,
      },
      rcs: {
        url: 'http://127.0.0.1:5102',
        attemptTimeoutMs: 1000,
        totalTimeoutMs: 2500,
        maxAttempts: 3,
        breakerHalfOpenMs: 5000,
        apiKeyFile: '/run/secrets/rcs-key',
      },
      maxConsentLifetimeS: 86400,
      clockToleranceS: 0,
      maxBodyBytes: 1024,
      maxDocumentBytes: 2048,
      publicOrigin: 'https://broker.example.lu',
      logLevel: 'debug',
      logFormat: 'pretty',
      signingKeyFile: '/etc/broker/signing-key.json',
      checkpointIntervalS: 30,
      maxStaffTokenLifetimeS: 120,
      redisUrl: 'redis://redis:6379/2',
      exportDir: '/srv/exports',
      exportLinkTtlS: 900,
      maxBatchBodyBytes: 2048,
      batchMaxItems: 500,
      batchMaxInFlight: 2,
      batchChunkSize: 10,
      batchMaxAttempts: 3,
      batchBackoffMs: 200,
      batchRetentionS: 3600,
      batchReconcileIntervalS: 2,
      batchExecution: 'queue',
      batchResultsKeyFile: '/etc/broker/results.key',
      workerConcurrency: 8,
      workerNice: 10,
      maxCitizenTokenLifetimeS: 600,
      devIdpKeyFile: '/tmp/dev-idp.json',
      metricsPort: 9100,
      metricsPortExplicit: true,
      workerMetricsPort: 9465,
      workerMetricsPortExplicit: false,
      // DB_* and LOG_*: read in 'bounds every database wait'
      db: expect.any(Object),
      logAppend: expect.any(Object),
      transparencyLog: {
        noteKeyFile: '/etc/broker/note-key.pem',
        integrateIntervalMs: 50,
        publishMaxDelayMs: 5000,
        witnessTimeoutMs: 1000,
        witnessFailure: 'refuse',
      },
      quota: { requestsPerSecond: 20, concurrentJobs: 1 },
    });
  });

  it('refuses a quota default that is not a positive integer (QUOTA_*)', () => {
    expect(
      configError({ ...DEV, QUOTA_REQUESTS_PER_SECOND: '0', QUOTA_CONCURRENT_JOBS: '1.5' }).problems,
    ).toEqual([
      'QUOTA_CONCURRENT_JOBS must be an integer in [1, 1000], got "1.5"',
      'QUOTA_REQUESTS_PER_SECOND must be an integer in [1, 1000000], got "0"',
    ]);
  });

  it('takes the concurrent-jobs quota from BATCH_MAX_IN_FLIGHT, and refuses one above it', () => {
    expect(loadBrokerConfig({ ...DEV, BATCH_MAX_IN_FLIGHT: '50' }).quota.concurrentJobs).toBe(50);
    expect(loadBrokerConfig({ ...DEV, BATCH_MAX_IN_FLIGHT: '50', QUOTA_CONCURRENT_JOBS: '3' }).quota).toEqual(
      {
        requestsPerSecond: 5000,
        concurrentJobs: 3,
      },
    );
    expect(configError({ ...DEV, QUOTA_CONCURRENT_JOBS: '5' }).problems).toEqual([
      'QUOTA_CONCURRENT_JOBS must not be above BATCH_MAX_IN_FLIGHT (4), got 5',
    ]);
  });

  it('keeps batch jobs on the queue in production and requires the results key there', () => {
    const e = configError({
      BROKER_MODE: 'production',
      BROKER_TRUST_FILE: '/t',
      BROKER_SIGNING_KEY_FILE: '/k',
      BATCH_EXECUTION: 'auto',
    });
    expect(e.problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('BATCH_EXECUTION must be queue in production'),
        expect.stringContaining('BATCH_RESULTS_KEY_FILE is required'),
      ]),
    );
    expect(configError({ ...DEV, BATCH_EXECUTION: 'sometimes' }).problems[0]).toContain(
      'BATCH_EXECUTION must be',
    );
  });

  it('derives the register URL from RNPP_PORT when RNPP_URL is unset', () => {
    expect(loadBrokerConfig({ ...DEV, RNPP_PORT: '5100' }).rnppUrl).toBe('http://127.0.0.1:5100');
  });

  it('treats empty numeric and URL variables as unset', () => {
    const c = loadBrokerConfig({
      ...DEV,
      GATEWAY_PORT: '',
      RNPP_URL: '',
      DATABASE_URL: '',
      BROKER_TRUST_FILE: '',
    });
    expect(c.gatewayPort).toBe(4000);
    expect(c.rnppUrl).toBe('http://127.0.0.1:4100');
    expect(c.databaseUrl).toBe(DEFAULT_DATABASE_URL);
    expect(c.trustFile).toBeUndefined();
  });

  it('accepts the bounds of the integer ranges', () => {
    const low = loadBrokerConfig({
      ...DEV,
      GATEWAY_PORT: '1',
      CLOCK_TOLERANCE_S: '0',
      CONSENT_MAX_LIFETIME_S: '60',
    });
    expect([low.gatewayPort, low.clockToleranceS, low.maxConsentLifetimeS]).toEqual([1, 0, 60]);
    const high = loadBrokerConfig({
      ...DEV,
      GATEWAY_PORT: '65535',
      CLOCK_TOLERANCE_S: '300',
      RNPP_MAX_ATTEMPTS: '10',
    });
    expect([high.gatewayPort, high.clockToleranceS, high.rnppMaxAttempts]).toEqual([65535, 300, 10]);
  });

  describe('production mode', () => {
    it('is the default when neither BROKER_MODE nor NODE_ENV is set', () => {
      expect(configError({}).problems).toEqual([
        'BATCH_RESULTS_KEY_FILE is required in production mode (the batch results key)',
        'BROKER_TRUST_FILE is required in production mode',
        'BROKER_SIGNING_KEY_FILE is required in production mode (dev keys are generated only in development)',
      ]);
      const files = {
        BATCH_RESULTS_KEY_FILE: '/r.key',
        BROKER_TRUST_FILE: '/t.json',
        BROKER_SIGNING_KEY_FILE: '/k.json',
      };
      expect(loadBrokerConfig(files)).toMatchObject({
        mode: 'production',
        migrateOnBoot: false,
        batchExecution: 'queue',
        logFormat: 'json',
      });
      // either format can be chosen in either mode
      expect(loadBrokerConfig({ ...files, LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
      expect(loadBrokerConfig({ ...files, BROKER_MODE: '' }).mode).toBe('production');
    });

    it('is not left by a NODE_ENV other than production: only BROKER_MODE=development leaves it', () => {
      const files = {
        BATCH_RESULTS_KEY_FILE: '/r.key',
        BROKER_TRUST_FILE: '/t.json',
        BROKER_SIGNING_KEY_FILE: '/k.json',
      };
      for (const NODE_ENV of ['development', 'test', 'dev'])
        expect(loadBrokerConfig({ ...files, NODE_ENV }).mode).toBe('production');
    });

    it('lets tools (CLI, demo scripts) read addresses without the server files', () => {
      const c = loadBrokerConfig({ DATABASE_URL: 'postgres://db/broker', GATEWAY_HOST: '0.0.0.0' }, 'tool');
      expect(c).toMatchObject({
        mode: 'production',
        databaseUrl: 'postgres://db/broker',
        trustFile: undefined,
      });
      expect(configError({ GATEWAY_PORT: '0' }).problems).toContain(
        'GATEWAY_PORT must be an integer in [1, 65535], got "0"',
      );
    });

    it('requires BROKER_TRUST_FILE', () => {
      const e = configError({
        BROKER_MODE: 'production',
        BATCH_RESULTS_KEY_FILE: '/r.key',
        BROKER_SIGNING_KEY_FILE: '/k.json',
      });
      expect(e.problems).toEqual(['BROKER_TRUST_FILE is required in production mode']);
    });

    it('requires BROKER_SIGNING_KEY_FILE (the broker never generates its production key)', () => {
      const e = configError({
        BROKER_MODE: 'production',
        BATCH_RESULTS_KEY_FILE: '/r.key',
        BROKER_TRUST_FILE: '/t.json',
      });
      expect(e.problems).toEqual([
        'BROKER_SIGNING_KEY_FILE is required in production mode (dev keys are generated only in development)',
      ]);
    });

    it('requires a non-empty BROKER_TRUST_FILE', () => {
      expect(
        configError({
          BROKER_MODE: 'production',
          BATCH_RESULTS_KEY_FILE: '/r.key',
          BROKER_TRUST_FILE: '',
          BROKER_SIGNING_KEY_FILE: '/k.json',
        }).problems,
      ).toEqual(['BROKER_TRUST_FILE is required in production mode']);
    });

    it('is implied by NODE_ENV=production when BROKER_MODE is unset', () => {
      expect(
        configError({
          NODE_ENV: 'production',
          BATCH_RESULTS_KEY_FILE: '/r.key',
          BROKER_SIGNING_KEY_FILE: '/k.json',
        }).problems,
      ).toEqual(['BROKER_TRUST_FILE is required in production mode']);
      const c = loadBrokerConfig({
        NODE_ENV: 'production',
        BATCH_RESULTS_KEY_FILE: '/r.key',
        BROKER_TRUST_FILE: '/t.json',
        BROKER_SIGNING_KEY_FILE: '/k.json',
      });
      expect(c.mode).toBe('production');
    });

    it('is overridden by an explicit BROKER_MODE=development', () => {
      const c = loadBrokerConfig({
        NODE_ENV: 'production',
        BATCH_RESULTS_KEY_FILE: '/r.key',
        BROKER_MODE: 'development',
      });
      expect(c.mode).toBe('development');
      expect(c.trustFile).toBeUndefined();
    });

    it('does not migrate on boot unless DB_MIGRATE=auto', () => {
      expect(
        loadBrokerConfig({
          BROKER_MODE: 'production',
          BATCH_RESULTS_KEY_FILE: '/r.key',
          BROKER_TRUST_FILE: '/t.json',
          BROKER_SIGNING_KEY_FILE: '/k.json',
        }).migrateOnBoot,
      ).toBe(false);
      expect(loadBrokerConfig({ ...DEV, DB_MIGRATE: 'off' }).migrateOnBoot).toBe(false);
    });

    it('sets the runtime role up in development only: production connects as DATABASE_URL names', () => {
      expect(loadBrokerConfig(DEV).dbRoleSetup).toBe('auto');
      expect(loadBrokerConfig({ ...DEV, DB_ROLE_SETUP: 'off' }).dbRoleSetup).toBe('off');
      expect(loadBrokerConfig({ DATABASE_URL: 'postgres://db/broker' }, 'tool').dbRoleSetup).toBe('off');
      expect(configError({ DB_ROLE_SETUP: 'auto' }).problems).toContainEqual(
        expect.stringMatching(/^DB_ROLE_SETUP=auto is for development mode/),
      );
    });
  });

  describe('bad values', () => {
    it.each([
      ['BROKER_MODE', 'prod', /^BROKER_MODE must be development or production, got "prod"$/],
      ['GATEWAY_PORT', '0', /^GATEWAY_PORT must be an integer in \[1, 65535\], got "0"$/],
      ['GATEWAY_PORT', '65536', /^GATEWAY_PORT must be an integer/],
      ['GATEWAY_PORT', 'http', /^GATEWAY_PORT must be an integer/],
      ['GATEWAY_PORT', '80.5', /^GATEWAY_PORT must be an integer/],
      ['RNPP_PORT', '-1', /^RNPP_PORT must be an integer/],
      ['RNPP_URL', 'ftp://rnpp.example.lu', /^RNPP_URL must use http: or https:, got "ftp:"$/],
      ['RNPP_URL', 'not a url', /^RNPP_URL is not a URL$/],
      ['DATABASE_URL', 'mysql://db/broker', /^DATABASE_URL must use postgres: or postgresql:, got "mysql:"$/],
      ['DATABASE_URL', '::', /^DATABASE_URL is not a URL$/],
      ['DB_MIGRATE', 'yes', /^DB_MIGRATE must be auto or off, got "yes"$/],
      ['LOG_WITNESS_FAILURE', 'alert', /^LOG_WITNESS_FAILURE must be serve or refuse, got "alert"$/],
      ['LOG_INTEGRATE_INTERVAL_MS', '5', /^LOG_INTEGRATE_INTERVAL_MS must be an integer in \[10, 60000\]/],
      ['DATABASE_OWNER_URL', 'mysql://db/broker', /^DATABASE_OWNER_URL must use postgres: or postgresql:/],
      ['DB_ROLE_SETUP', 'on', /^DB_ROLE_SETUP must be auto or off, got "on"$/],
      ['DB_RUNTIME_ROLE', 'Broker-App', /^DB_RUNTIME_ROLE must be a lower-case SQL identifier/],
      [
        'DB_RUNTIME_ROLE',
        'broker_runtime',
        /^DB_RUNTIME_ROLE must be a lower-case SQL identifier other than/,
      ],
      ['RNPP_ATTEMPT_TIMEOUT_MS', '49', /^RNPP_ATTEMPT_TIMEOUT_MS must be an integer in \[50, 60000\]/],
      ['RNPP_TOTAL_TIMEOUT_MS', '120001', /^RNPP_TOTAL_TIMEOUT_MS must be an integer in \[50, 120000\]/],
      ['RNPP_MAX_ATTEMPTS', '11', /^RNPP_MAX_ATTEMPTS must be an integer in \[1, 10\]/],
      ['CONSENT_MAX_LIFETIME_S', '59', /^CONSENT_MAX_LIFETIME_S must be an integer/],
      ['CLOCK_TOLERANCE_S', '301', /^CLOCK_TOLERANCE_S must be an integer in \[0, 300\]/],
      ['GRAPHQL_MAX_BODY_BYTES', '1023', /^GRAPHQL_MAX_BODY_BYTES must be an integer/],
      ['GRAPHQL_MAX_DOCUMENT_BYTES', '1023', /^GRAPHQL_MAX_DOCUMENT_BYTES must be an integer/],
      ['BROKER_PUBLIC_ORIGIN', 'https://broker.example.lu/', /^BROKER_PUBLIC_ORIGIN must be an origin/],
      ['BROKER_PUBLIC_ORIGIN', 'https://broker.example.lu/me', /^BROKER_PUBLIC_ORIGIN must be an origin/],
      ['BROKER_PUBLIC_ORIGIN', 'ftp://broker.example.lu', /^BROKER_PUBLIC_ORIGIN must be an origin/],
      ['LOG_LEVEL', 'verbose', /^LOG_LEVEL must be error, warn, log or debug$/],
      ['LOG_FORMAT', 'text', /^LOG_FORMAT must be json or pretty, got "text"$/],
      [
        'CITIZEN_TOKEN_MAX_LIFETIME_S',
        '59',
        /^CITIZEN_TOKEN_MAX_LIFETIME_S must be an integer in \[60, 86400\]/,
      ],
    ])('refuses %s=%p', (name, value, problem) => {
      const e = configError({ ...DEV, [name]: value });
      expect(e.problems).toHaveLength(1);
      expect(e.problems[0]).toMatch(problem);
      expect(e.name).toBe('ConfigError');
      expect(e.message).toContain(e.problems[0]);
    });

    it('lists every problem in one ConfigError', () => {
      const e = configError({
        BROKER_MODE: 'production',
        BATCH_RESULTS_KEY_FILE: '/r.key',
        GATEWAY_PORT: '0',
        RNPP_PORT: 'x',
        LOG_LEVEL: 'loud',
        DB_MIGRATE: 'maybe',
        RNPP_URL: 'file:///etc/passwd',
        DATABASE_URL: 'http://db',
        RNPP_ATTEMPT_TIMEOUT_MS: '1',
        RNPP_TOTAL_TIMEOUT_MS: '1',
        RNPP_MAX_ATTEMPTS: '0',
        CONSENT_MAX_LIFETIME_S: '1',
        CLOCK_TOLERANCE_S: '-1',
        GRAPHQL_MAX_BODY_BYTES: '1',
      });
      const names = e.problems.map((p) => p.split(' ')[0]);
      expect(names.sort()).toEqual(
        [
          'BROKER_SIGNING_KEY_FILE',
          'GATEWAY_PORT',
          'RNPP_PORT',
          'LOG_LEVEL',
          'DB_MIGRATE',
          'RNPP_URL',
          'DATABASE_URL',
          'RNPP_ATTEMPT_TIMEOUT_MS',
          'RNPP_TOTAL_TIMEOUT_MS',
          'RNPP_MAX_ATTEMPTS',
          'CONSENT_MAX_LIFETIME_S',
          'CLOCK_TOLERANCE_S',
          'GRAPHQL_MAX_BODY_BYTES',
          'BROKER_TRUST_FILE',
        ].sort(),
      );
      for (const p of e.problems) expect(e.message).toContain(p);
    });

    it('refuses a development gateway that listens beyond the loopback', () => {
      for (const host of ['0.0.0.0', '::', '192.168.1.10', 'broker.example.lu']) {
        const e = configError({ ...DEV, GATEWAY_HOST: host });
        expect(e.problems).toHaveLength(1);
        expect(e.problems[0]).toMatch(
          /^GATEWAY_HOST must be a loopback address .* in development mode, got "/,
        );
      }
      for (const host of ['127.0.0.1', '::1', 'localhost'])
        expect(loadBrokerConfig({ ...DEV, GATEWAY_HOST: host }).gatewayHost).toBe(host);
      // production listens where it is told
      expect(
        loadBrokerConfig({
          GATEWAY_HOST: '0.0.0.0',
          BATCH_RESULTS_KEY_FILE: '/r.key',
          BROKER_TRUST_FILE: '/t.json',
          BROKER_SIGNING_KEY_FILE: '/k.json',
        }).gatewayHost,
      ).toBe('0.0.0.0');
    });

    it('reads WORKER_METRICS_PORT (default 9465, explicit when set) and refuses one out of range', () => {
      expect(loadBrokerConfig({ ...DEV, WORKER_METRICS_PORT: '9100' })).toMatchObject({
        workerMetricsPort: 9100,
        workerMetricsPortExplicit: true,
      });
      expect(configError({ ...DEV, WORKER_METRICS_PORT: '-1' }).problems).toEqual([
        'WORKER_METRICS_PORT must be an integer in [0, 65535], got "-1"',
      ]);
    });

    it('accepts METRICS_PORT=0 (a free port) and refuses one out of range', () => {
      expect(loadBrokerConfig({ ...DEV, METRICS_PORT: '0' }).metricsPort).toBe(0);
      expect(configError({ ...DEV, METRICS_PORT: '70000' }).problems).toEqual([
        'METRICS_PORT must be an integer in [0, 65535], got "70000"',
      ]);
    });

    it('reports a bad mode together with other problems', () => {
      const e = configError({ BROKER_MODE: 'staging', GATEWAY_PORT: '99999' });
      expect(e.problems).toHaveLength(2);
      expect(e.problems[0]).toMatch(/^BROKER_MODE/);
      expect(e.problems[1]).toMatch(/^GATEWAY_PORT/);
    });
  });
});

describe('modeOf', () => {
  it('is production unless BROKER_MODE=development, undefined for another value', () => {
    expect([modeOf({}), modeOf({ BROKER_MODE: '' }), modeOf({ NODE_ENV: 'development' })]).toEqual([
      'production',
      'production',
      'production',
    ]);
    expect(modeOf({ BROKER_MODE: 'development' })).toBe('development');
    expect(modeOf({ BROKER_MODE: 'staging' })).toBeUndefined();
  });
});

describe('redactUrl', () => {
  it('masks the password only', () => {
    expect(redactUrl('postgres://broker:s3cret@db:5432/broker')).toBe('postgres://broker:***@db:5432/broker');
    expect(redactUrl('postgres://broker@db:5432/broker')).toBe('postgres://broker@db:5432/broker');
  });

  it('never echoes an unparseable URL', () => {
    expect(redactUrl('postgres://u:p@[bad')).toBe('<invalid url>');
  });
});
