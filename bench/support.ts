import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { request } from 'undici';

/** dist/ (the benchmarks run from dist/bench). */
const DIST = path.resolve(__dirname, '..');

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Starts a built script of dist/ (e.g. `apps/gateway/src/main.js`) as a child process; `nodeArgs` go to node. */
export function start(script: string, env: Record<string, string>, nodeArgs: string[] = []): ChildProcess {
  return spawn(
    process.execPath,
    [...nodeArgs, '--disable-warning=ExperimentalWarning', path.join(DIST, script)],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}

/** Waits until `url` answers 200 (about a minute at most). */
export async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    try {
      const res = await request(url);
      await res.body.dump();
      if (res.statusCode === 200) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} never answered 200`);
}

/**
 * The environment of a gateway and its workers for a batch benchmark: development mode (the
 * gateway migrates the fresh database), BullMQ on Redis, a results key written into `dir`, any
 * free metrics port. One place, so that every batch benchmark boots the same way.
 */
export function batchBrokerEnv(o: {
  dir: string;
  trustFile: string;
  databaseUrl: string;
  rnppPort: number | string;
  gatewayPort: number | string;
}): Record<string, string> {
  const resultsKey = path.join(o.dir, 'results.key');
  writeFileSync(resultsKey, randomBytes(32).toString('base64'));
  return {
    RNPP_URL: `http://127.0.0.1:${o.rnppPort}`,
    DATABASE_URL: o.databaseUrl,
    BROKER_TRUST_FILE: o.trustFile,
    BROKER_SIGNING_KEY_FILE: path.join(o.dir, 'signing-key.json'),
    BATCH_RESULTS_KEY_FILE: resultsKey,
    BATCH_EXECUTION: 'queue',
    BATCH_MAX_IN_FLIGHT: '100',
    GATEWAY_PORT: String(o.gatewayPort),
    BROKER_MODE: 'development',
    METRICS_PORT: '0',
    LOG_LEVEL: 'error',
  };
}
