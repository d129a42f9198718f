import { spawn, type ChildProcess } from 'node:child_process';
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
