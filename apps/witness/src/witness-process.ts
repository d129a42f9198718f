/**
 * Starting and stopping a witness: its data folder (locked, so that two witnesses never share a
 * record), its key, its records, its HTTP server. main.ts calls this with the environment's
 * configuration; the tests call it with theirs.
 */
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { fastifyLoggerOptions } from '@broker/logging';
import { Ed25519Cosigner } from '@broker/transparency';
import { buildWitnessServer } from './server';
import type { WitnessConfig } from './witness-config';
import { loadWitnessKey } from './witness-key';
import { FileWitnessStateStore } from './witness-state.store';
import { WitnessService } from './witness.service';

export interface RunningWitness {
  app: FastifyInstance;
  /** http://host:port, with the port actually bound. */
  url: string;
  vkey: string;
  /** True when this start generated the key (development). */
  generatedKey: boolean;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: FastifyServerOptions['logger'];
  /** Seconds since the Epoch, for cosignature timestamps (default: now). */
  clock?: () => number;
}

/** Starts a witness; throws (before listening) when its key, folder or records are not usable. */
export async function startWitness(
  config: WitnessConfig,
  options: StartOptions = {},
): Promise<RunningWitness> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const releaseLock = await lockDataDir(config.dataDir);
  try {
    const key = loadWitnessKey(config.keyFile, config.mode === 'development');
    const cosigner = new Ed25519Cosigner(config.name, key.key, options.clock);
    const store = await FileWitnessStateStore.open(config.dataDir);
    const app = buildWitnessServer({
      name: config.name,
      mode: config.mode,
      trustOnFirstUse: config.trustOnFirstUse,
      logger: options.logger ?? fastifyLoggerOptions(config.logFormat, config.logLevel, 'witness'),
      service: (logger) =>
        new WitnessService({
          cosigner,
          store,
          logs: config.logs,
          trustOnFirstUse: config.trustOnFirstUse,
          logger,
          clock: options.clock,
        }),
    });
    app.addHook('onClose', releaseLock);
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : config.port;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    if (config.trustOnFirstUse) {
      app.log.warn(
        { dataDir: config.dataDir },
        'trust on first use (development): the first log key seen for an origin is pinned; set WITNESS_LOGS to name the logs',
      );
    }
    return {
      app,
      url: `http://${host}:${port}`,
      vkey: cosigner.vkey,
      generatedKey: key.generated,
      close: () => app.close(),
    };
  } catch (error) {
    await releaseLock();
    throw error;
  }
}

/** Takes `<dataDir>/witness.lock` (holding this pid); a lock left by a process that is gone is taken over. */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const file = join(dataDir, 'witness.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => unlink(file).catch(() => undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new Error(
          `${dataDir} is in use by another witness (pid ${pid}); each witness needs a folder of its own`,
        );
      }
      await unlink(file).catch(() => undefined);
    }
  }
  throw new Error(`could not lock ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
