/**
 * The witness's record of each log: the latest checkpoint it cosigned and the log key that signed
 * it. One JSON file per origin under <data dir>/logs, replaced atomically (write a temporary
 * file, fsync it, rename it over the old one, fsync the directory), so that a crash leaves either
 * the old record or the new one, never a torn or empty one. A record that cannot be read stops
 * the witness: starting from nothing would let a log roll back what it had cosigned.
 */
import { createHash } from 'node:crypto';
import { appendFile, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeBase64, HASH_SIZE, parseCheckpoint, parseNote } from '@broker/transparency';

/** What the witness remembers of one log. */
export interface WitnessLogState {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Buffer;
  /** The checkpoint note as the log sent it, last cosigned. */
  readonly checkpoint: string;
  /** The log key that verified it. */
  readonly logVkey: string;
  /** True when that key was pinned on first use (development). */
  readonly pinned: boolean;
  /** When it was last cosigned (seconds since the Epoch). */
  readonly cosignedAt: number;
}

/** Where the witness keeps its records. */
export interface WitnessStateStore {
  get(origin: string): WitnessLogState | undefined;
  /** Persists durably before it resolves. */
  save(state: WitnessLogState): Promise<void>;
  /** Records a checkpoint the log signed but the witness refused (evidence of a fork or a bad proof). */
  recordRefusal(origin: string, evidence: Record<string, unknown>): Promise<void>;
  all(): readonly WitnessLogState[];
}

interface StoredRecord {
  version: 1;
  origin: string;
  size: number;
  rootHash: string;
  checkpoint: string;
  logVkey: string;
  pinned: boolean;
  cosignedAt: number;
}

const fileStem = (origin: string): string => createHash('sha256').update(origin, 'utf8').digest('hex');

/** The records as files under `<dataDir>/logs`, loaded once at start (the witness owns the folder). */
export class FileWitnessStateStore implements WitnessStateStore {
  private readonly states = new Map<string, WitnessLogState>();
  private writes = 0;

  private constructor(private readonly dir: string) {}

  /** Opens (creating) the folder and reads every record; throws on any record it cannot trust. */
  static async open(dataDir: string): Promise<FileWitnessStateStore> {
    const store = new FileWitnessStateStore(join(dataDir, 'logs'));
    await mkdir(store.dir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(store.dir)) {
      const file = join(store.dir, name);
      // a temporary file is a write that crashed before its rename: the record it meant to replace stands
      if (name.endsWith('.tmp')) await unlink(file);
      if (!name.endsWith('.json')) continue;
      const state = parseRecord(await readFile(file, 'utf8'), file);
      if (`${fileStem(state.origin)}.json` !== name)
        throw new Error(`${file} holds the record of another origin`);
      store.states.set(state.origin, state);
    }
    return store;
  }

  get(origin: string): WitnessLogState | undefined {
    return this.states.get(origin);
  }

  all(): readonly WitnessLogState[] {
    return [...this.states.values()];
  }

  async save(state: WitnessLogState): Promise<void> {
    const record: StoredRecord = {
      version: 1,
      origin: state.origin,
      size: state.size,
      rootHash: state.rootHash.toString('base64'),
      checkpoint: state.checkpoint,
      logVkey: state.logVkey,
      pinned: state.pinned,
      cosignedAt: state.cosignedAt,
    };
    const file = join(this.dir, `${fileStem(state.origin)}.json`);
    const tmp = `${file}.${process.pid}.${++this.writes}.tmp`;
    const handle = await open(tmp, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(record, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
    await syncDirectory(this.dir);
    this.states.set(state.origin, state);
  }

  async recordRefusal(origin: string, evidence: Record<string, unknown>): Promise<void> {
    const file = join(this.dir, `${fileStem(origin)}.refused.ndjson`);
    await appendFile(file, `${JSON.stringify({ origin, ...evidence })}\n`, { mode: 0o600 });
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function parseRecord(text: string, file: string): WitnessLogState {
  try {
    return readRecord(JSON.parse(text) as Partial<StoredRecord>);
  } catch (error) {
    const why = error instanceof SyntaxError ? 'not JSON' : (error as Error).message;
    throw new Error(
      `witness state ${file} is unreadable (${why}): restore it from a backup; never delete it`,
    );
  }
}

function readRecord(raw: Partial<StoredRecord>): WitnessLogState {
  const fail = (why: string): never => {
    throw new Error(why);
  };
  if (raw.version !== 1) fail('unknown version');
  if (typeof raw.origin !== 'string' || raw.origin === '') fail('no origin');
  if (!Number.isSafeInteger(raw.size) || (raw.size as number) < 0) fail('bad size');
  if (typeof raw.checkpoint !== 'string' || typeof raw.logVkey !== 'string') fail('no checkpoint or key');
  if (typeof raw.pinned !== 'boolean' || !Number.isSafeInteger(raw.cosignedAt)) fail('bad flags');
  const rootHash = decodeBase64(String(raw.rootHash), 'root hash');
  if (rootHash.length !== HASH_SIZE) fail('bad root hash');
  const checkpoint = parseCheckpoint(parseNote(raw.checkpoint as string).text);
  if (
    checkpoint.origin !== raw.origin ||
    checkpoint.size !== raw.size ||
    !checkpoint.rootHash.equals(rootHash)
  ) {
    fail('the checkpoint does not match the record');
  }
  return {
    origin: raw.origin as string,
    size: raw.size as number,
    rootHash,
    checkpoint: raw.checkpoint as string,
    logVkey: raw.logVkey as string,
    pinned: raw.pinned as boolean,
    cosignedAt: raw.cosignedAt as number,
  };
}
