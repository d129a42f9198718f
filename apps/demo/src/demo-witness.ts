/**
 * The witness that `npm start` runs beside the gateway (issue 12): a process of its own with
 * storage of its own (WITNESS_DATA_DIR, `.data/witness` by default, never the broker's database),
 * pinned to the demo log's key (WITNESS_LOGS), and named in the generated trust file with a
 * quorum of 1, so that the demo's checkpoints are published only once it cosigned them.
 */
import type { ChildProcess } from 'node:child_process';
import { request } from 'undici';
import { integer } from '@broker/simulation';
import { parseVkey } from '@broker/transparency';
import type { DemoSimulator } from './demo-simulators';
import type { DemoWitness } from './demo-trust';

const DEFAULT_WITNESS_PORT = 4200;

/** Where the demo's witness listens; a default port that is taken may move, like a simulator's. */
export function demoWitness(env: NodeJS.ProcessEnv): DemoSimulator {
  const raw = env.WITNESS_PORT;
  const port =
    raw === undefined || raw === '' ? DEFAULT_WITNESS_PORT : integer('WITNESS_PORT', raw, 1, 65535);
  return {
    name: 'witness',
    portVar: 'WITNESS_PORT',
    port,
    host: env.WITNESS_HOST || '127.0.0.1',
    urlVar: 'WITNESS_URL',
    url: `http://127.0.0.1:${port}`,
    chosen: Boolean(raw),
  };
}

/** The witness's vkey once it answers GET /vkey, or null after `timeoutMs`. */
async function vkeyOf(url: string, timeoutMs: number): Promise<string | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await request(`${url}/vkey`, { signal: AbortSignal.timeout(2000) });
      const text = (await res.body.text()).trim();
      if (res.statusCode === 200) return text;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return null;
}

/**
 * Starts the witness through `start` (the demo's child launcher) and returns its trust-file entry,
 * read from its own GET /vkey as an operator would.
 */
export async function startDemoWitness(
  listener: DemoSimulator,
  logVkey: string,
  env: NodeJS.ProcessEnv,
  start: (name: string, script: string, env: NodeJS.ProcessEnv) => ChildProcess,
): Promise<DemoWitness> {
  start('witness', 'witness/src/main.js', {
    ...env,
    WITNESS_PORT: String(listener.port),
    WITNESS_HOST: listener.host,
    // pinned to the demo log's key rather than trusted on first use
    WITNESS_LOGS: env.WITNESS_LOGS || logVkey,
    WITNESS_LOG_LEVEL: env.WITNESS_LOG_LEVEL || 'warn',
  });
  const vkey = await vkeyOf(listener.url, 60_000);
  if (!vkey) throw new Error(`the witness did not answer at ${listener.url}/vkey in 60 s`);
  return { name: parseVkey(vkey).name, vkey, url: listener.url };
}
