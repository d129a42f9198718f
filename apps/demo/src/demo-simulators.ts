/**
 * The register simulators that `npm start` runs beside the gateway: where each listens, where the
 * gateway finds it, and a check that its port is free before it starts (a port held by another
 * demo would otherwise answer our health check in its place).
 */
import { createServer } from 'node:net';
import { integer } from '@broker/simulation';

/** One simulator as the demo starts it, with the settings read from the environment. */
export interface DemoSimulator {
  /** Process name in the demo's messages, e.g. `ccss-simulator`; also its folder under apps/. */
  name: string;
  /** The variable holding its port, named when that port is taken. */
  portVar: string;
  port: number;
  /** Where it binds (`<REGISTER>_HOST`, loopback by default). */
  host: string;
  /** The variable through which the gateway and the worker find the register. */
  urlVar: string;
  /** That variable's value; derived from the port when unset, as the gateway derives RNPP_URL. */
  url: string;
  /** True when the port or the URL was set: then a taken port is an error, never moved. */
  chosen: boolean;
}

export interface DemoSimulators {
  rnpp: DemoSimulator;
  ccss: DemoSimulator;
  rcs: DemoSimulator;
}

function simulator(
  env: NodeJS.ProcessEnv,
  register: 'RNPP' | 'CCSS' | 'RCS',
  defaultPort: number,
): DemoSimulator {
  const portVar = `${register}_PORT`;
  const urlVar = `${register}_URL`;
  const raw = env[portVar];
  // an empty variable counts as unset, as in libs/config
  const port = raw === undefined || raw === '' ? defaultPort : integer(portVar, raw, 1, 65535);
  return {
    name: `${register.toLowerCase()}-simulator`,
    portVar,
    port,
    host: env[`${register}_HOST`] || '127.0.0.1',
    urlVar,
    url: (env[urlVar] || `http://127.0.0.1:${port}`).replace(/\/+$/, ''),
    chosen: Boolean(raw || env[urlVar]),
  };
}

/** A port the system says is free on `host` now. */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port: 0 }, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Moves each simulator whose port nobody chose off a default port that is taken (another demo or
 * a test run on this machine) to a free one, setting its port variable in `env`; returns one
 * line per move. A port or URL that was set is left as it is (portsInUse then reports it).
 */
export async function moveOffTakenDefaults(
  env: NodeJS.ProcessEnv,
  simulators: DemoSimulator[],
): Promise<string[]> {
  const moved: string[] = [];
  for (const s of simulators) {
    if (s.chosen || !(await portInUse(s.host, s.port))) continue;
    const port = await freePort(s.host);
    moved.push(`${s.portVar} ${s.port} is in use: the ${s.name} listens on ${port} instead`);
    s.port = port;
    s.url = `http://127.0.0.1:${port}`;
    env[s.portVar] = String(port);
  }
  return moved;
}

/** The three simulators with their ports and URLs; throws a RangeError naming a port variable that is not a port. */
export function demoSimulators(env: NodeJS.ProcessEnv): DemoSimulators {
  return {
    rnpp: simulator(env, 'RNPP', 4100),
    ccss: simulator(env, 'CCSS', 4101),
    rcs: simulator(env, 'RCS', 4102),
  };
}

/**
 * Sets each simulator's URL variable that is unset, so that the gateway and the worker find a
 * simulator started on another port (libs/config derives RNPP_URL from RNPP_PORT itself; the
 * other registers' URLs are passed explicitly).
 */
export function withSimulatorUrls(env: NodeJS.ProcessEnv, simulators: readonly DemoSimulator[]): void {
  for (const s of simulators) if (!env[s.urlVar]) env[s.urlVar] = s.url;
}

/** True when host:port is taken (binding fails with EADDRINUSE); any other failure is left to the listener to report. */
export function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'EADDRINUSE'));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(false)));
  });
}

/** One line per listener whose port is taken, naming the variable to change. */
export async function portsInUse(
  listeners: readonly { portVar: string; host: string; port: number }[],
): Promise<string[]> {
  const problems: string[] = [];
  for (const l of listeners) {
    if (await portInUse(l.host, l.port))
      problems.push(
        `${l.portVar} ${l.port} is already in use on ${l.host} (another demo on this machine? set ${l.portVar} to a free port)`,
      );
  }
  return problems;
}
