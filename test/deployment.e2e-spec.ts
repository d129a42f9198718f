/**
 * docker-compose.yml and deploy/haproxy/haproxy.cfg, checked without a Docker engine (issue 14):
 * the compose file parsed with `yaml` (merge keys resolved, as Compose does) for its services,
 * health checks, resource limits and database roles; every environment variable it sets is one
 * that the process reading it actually reads (libs/config's loadBrokerConfig and the witness's
 * configuration observed through a Proxy, the simulators' sources otherwise); the proxy's
 * configuration names the gateways and passes `haproxy -c` (Debian's haproxy, installed by .ci/run).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { loadBrokerConfig } from '@broker/config';
import { readWitnessConfig } from '../apps/witness/src/witness-config';

const ROOT = path.resolve(__dirname, '..');
const HAPROXY_CFG = 'deploy/haproxy/haproxy.cfg';

interface Service {
  image?: string;
  build?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  deploy?: { resources?: { limits?: { cpus?: string; memory?: string } } };
  profiles?: string[];
}

const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const services = compose.services;
const haproxyCfg = readFileSync(path.join(ROOT, HAPROXY_CFG), 'utf8');
const gatewayNames = Object.keys(services).filter((n) => /^gateway-\d+$/.test(n));
const workerNames = Object.keys(services).filter((n) => /^worker-\d+$/.test(n));

/** The variables `read` asks of an environment holding `env` (whatever it then makes of them). */
function namesRead(
  read: (env: Record<string, string | undefined>) => unknown,
  env: Record<string, string>,
): Set<string> {
  const names = new Set<string>();
  const proxy = new Proxy(env, {
    get(target, key) {
      if (typeof key === 'string') names.add(key);
      return target[key as string];
    },
  });
  try {
    read(proxy);
  } catch {
    // a configuration error still tells which variables were read
  }
  return names;
}

/** `env.NAME` in the non-test sources under `dirs`: what a simulator reads (its config is in main.ts). */
function namesInSources(dirs: string[]): Set<string> {
  const names = new Set<string>();
  for (const dir of dirs) {
    for (const file of readdirSync(path.join(ROOT, dir), { recursive: true }) as string[]) {
      if (!file.endsWith('.ts') || file.endsWith('.spec.ts')) continue;
      const text = readFileSync(path.join(ROOT, dir, file), 'utf8');
      for (const m of text.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)) names.add(m[1]);
    }
  }
  return names;
}

/** What each service's process reads from its environment. */
function readerOf(name: string, service: Service): Set<string> {
  const env = service.environment ?? {};
  if (name === 'postgres') {
    // the image's own variables, and those scripts/db-roles.sql reads with \getenv at the first start
    const roles = readFileSync(path.join(ROOT, 'scripts/db-roles.sql'), 'utf8');
    return new Set([
      'POSTGRES_PASSWORD',
      'POSTGRES_DB',
      ...[...roles.matchAll(/\\getenv \w+ (\w+)/g)].map((m) => m[1]),
    ]);
  }
  if (name === 'witness') {
    // WITNESS_LOGS is Compose's ${BROKER_LOG_VKEY:-} here, not a key: without it, in development,
    // the witness's configuration reads every variable instead of stopping at the first problem
    const probe = { ...env, BROKER_MODE: 'development', WITNESS_LOGS: '' };
    return namesRead((e) => readWitnessConfig(e as NodeJS.ProcessEnv), probe);
  }
  const simulator = /^(rnpp|ccss|rcs)-simulator$/.exec(name);
  if (simulator) return namesInSources([`apps/${name}/src`, 'libs/simulation/src']);
  // gateways, workers and the migrate command: libs/config, and a worker's own queue selection
  const worker = /^worker-\d+$/.test(name) ? namesInSources(['apps/worker/src']) : [];
  return new Set([...namesRead((e) => loadBrokerConfig(e), env), ...worker]);
}

describe('docker-compose.yml', () => {
  it('runs two gateways behind HAProxy, two workers, the simulators, a witness, PostgreSQL, Redis and a one-shot migration', () => {
    expect(Object.keys(services).sort()).toEqual(
      [
        'ccss-simulator',
        'gateway-1',
        'gateway-2',
        'haproxy',
        'migrate',
        'postgres',
        'rcs-simulator',
        'redis',
        'rnpp-simulator',
        'witness',
        'worker-1',
        'worker-2',
      ].sort(),
    );
    for (const name of [...gatewayNames, ...workerNames, 'migrate']) {
      expect(services[name].build).toBe('.');
    }
    expect(gatewayNames.map((n) => services[n].command)).toEqual(
      gatewayNames.map(() => expect.arrayContaining(['dist/apps/gateway/src/main.js'])),
    );
    expect(workerNames.map((n) => services[n].command)).toEqual(
      workerNames.map(() => expect.arrayContaining(['dist/apps/worker/src/main.js'])),
    );
    // only the proxy publishes a port, on the host's loopback
    const published = Object.entries(services).filter(([, s]) => s.ports?.length);
    expect(published.map(([n]) => n)).toEqual(['haproxy']);
    expect(services.haproxy.ports).toEqual([expect.stringMatching(/^127\.0\.0\.1:\d+:8080$/)]);
  });

  it('gives every long-running service a health check and every service CPU and memory limits', () => {
    for (const [name, s] of Object.entries(services)) {
      expect({ name, limits: s.deploy?.resources?.limits }).toEqual({
        name,
        limits: { cpus: expect.stringMatching(/^\d+(\.\d+)?$/), memory: expect.stringMatching(/^\d+[MG]$/) },
      });
      if (name === 'migrate') continue;
      expect({ name, test: s.healthcheck?.test?.[0] }).toEqual({ name, test: 'CMD' });
    }
    // the gateways are healthy when ready: the same endpoint HAProxy checks
    for (const n of gatewayNames) expect(services[n].healthcheck!.test.join(' ')).toContain('/health/ready');
  });

  it('migrates as the owner once, and runs the gateways and workers as the runtime role in production', () => {
    const roles = readFileSync(path.join(ROOT, 'scripts/db-roles.sql'), 'utf8');
    expect(services.postgres.volumes).toContain(
      './scripts/db-roles.sql:/docker-entrypoint-initdb.d/10-broker-roles.sql:ro',
    );
    expect(roles).toContain('broker_runtime');
    expect(services.migrate.command).toEqual(expect.arrayContaining(['migrate']));
    expect(services.migrate.environment!.DATABASE_OWNER_URL).toMatch(/^postgres:\/\/postgres:/);
    const runtime = services.postgres.environment!.DB_RUNTIME_ROLE;
    for (const n of [...gatewayNames, ...workerNames]) {
      const env = services[n].environment!;
      expect({ n, user: new URL(env.DATABASE_URL).username }).toEqual({ n, user: runtime });
      expect({ n, mode: env.BROKER_MODE, migrate: env.DB_MIGRATE, owner: env.DATABASE_OWNER_URL }).toEqual({
        n,
        mode: 'production',
        migrate: 'off',
        owner: undefined,
      });
      expect(services[n].depends_on!.migrate).toEqual({ condition: 'service_completed_successfully' });
    }
  });

  it('sets only environment variables that the process reading them reads', () => {
    for (const [name, s] of Object.entries(services)) {
      const read = readerOf(name, s);
      const unknown = Object.keys(s.environment ?? {}).filter((k) => !read.has(k));
      expect({ name, unknown }).toEqual({ name, unknown: [] });
    }
  });

  it('gives each gateway its own metrics port, and the settings a load-balanced gateway needs', () => {
    const ports = gatewayNames.map((n) => services[n].environment!.METRICS_PORT);
    expect(ports.every((p) => /^\d+$/.test(p))).toBe(true);
    expect(new Set(ports).size).toBe(gatewayNames.length);
    for (const n of gatewayNames) {
      const env = services[n].environment!;
      // listening on the container's network (not loopback) for the proxy, with the log's note key
      expect(env.GATEWAY_HOST).toBe('0.0.0.0');
      expect(env.BROKER_NOTE_KEY_FILE).toBeTruthy();
      // one export directory shared with the workers that write the files
      expect(services[n].volumes).toContain(`exports:${env.EXPORT_DIR}`);
    }
    for (const n of workerNames) {
      const env = services[n].environment!;
      expect(services[n].volumes).toContain(`exports:${env.EXPORT_DIR}`);
    }
  });

  it('refers only to services, volumes and repository files that exist', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const dep of Object.keys(s.depends_on ?? {}))
        expect({ name, dep, known: dep in services }).toEqual({ name, dep, known: true });
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0];
        if (source.startsWith('./')) {
          // .data/ is what `npm start` writes on the host (the trial's keys), not the repository's
          if (!source.startsWith('./.data/'))
            expect({ name, source, exists: existsSync(path.join(ROOT, source)) }).toEqual({
              name,
              source,
              exists: true,
            });
        } else {
          expect({ name, source, declared: source in compose.volumes }).toEqual({
            name,
            source,
            declared: true,
          });
        }
      }
    }
  });
});

describe('deploy/haproxy/haproxy.cfg', () => {
  it('is the proxy container configuration, balancing round robin over every gateway by its readiness', () => {
    expect(services.haproxy.volumes).toContain(`./${HAPROXY_CFG}:/usr/local/etc/haproxy/haproxy.cfg:ro`);
    const servers = [...haproxyCfg.matchAll(/^\s*server\s+(\S+)\s+(\S+):(\d+)/gm)].map((m) => ({
      name: m[1],
      host: m[2],
      port: m[3],
    }));
    expect(servers).toEqual(
      gatewayNames.map((n) => ({ name: n, host: n, port: services[n].environment!.GATEWAY_PORT })),
    );
    expect(haproxyCfg).toMatch(/^\s*balance\s+roundrobin$/m);
    expect(haproxyCfg).toMatch(/^\s*option\s+httpchk\s+GET\s+\/health\/ready$/m);
    expect(haproxyCfg).toMatch(/^\s*option\s+forwardfor$/m);
    for (const t of ['connect', 'client', 'server'])
      expect(haproxyCfg).toMatch(new RegExp(`^\\s*timeout\\s+${t}\\s+\\d+s$`, 'm'));
    // the port compose publishes is the one the frontend binds
    const bind = /^\s*bind\s+:(\d+)$/m.exec(haproxyCfg)?.[1];
    expect(services.haproxy.ports![0].endsWith(`:${bind}`)).toBe(true);
  });

  it('passes haproxy -c (Debian package, installed by .ci/run)', () => {
    const which = spawnSync('sh', ['-c', 'command -v haproxy || ls /usr/sbin/haproxy'], { encoding: 'utf8' });
    const binary = which.stdout.trim().split('\n')[0];
    expect({ binary: binary || 'haproxy is not installed: run .ci/run or apt-get install haproxy' }).toEqual({
      binary: expect.stringMatching(/haproxy$/),
    });
    const check = spawnSync(binary, ['-c', '-f', path.join(ROOT, HAPROXY_CFG)], { encoding: 'utf8' });
    expect({ status: check.status, output: check.stdout + check.stderr }).toEqual({
      status: 0,
      output: expect.stringContaining('Configuration file is valid'),
    });
  });
});
