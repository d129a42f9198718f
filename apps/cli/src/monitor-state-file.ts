/**
 * The log monitor's state file: one JSON object (MonitorState). It is replaced atomically (a
 * temporary file in the same folder, fsynced, then renamed over it) so that a crash leaves the old
 * state or the new one, never half of one. An unreadable state is an error, never "no state": a
 * monitor that started afresh would accept a rolled-back or forked log.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { decodeBase64, Ed25519NoteVerifier, NoteFormatError } from '@broker/transparency';
import type { MonitorState } from './log-monitor';

/** The state file cannot be read or does not hold a monitor state. */
export class MonitorStateError extends Error {
  override readonly name = 'MonitorStateError';
}

/** A state holds one checkpoint note (at most 64 KiB) and a few short fields. */
const MAX_STATE_BYTES = 256 * 1024;

function checkState(doc: unknown): MonitorState {
  const s = doc as Partial<Record<keyof MonitorState, unknown>> | null;
  if (typeof s !== 'object' || s === null) throw new MonitorStateError('not a JSON object');
  for (const key of ['origin', 'vkey', 'root', 'note', 'checkedAt'] as const) {
    if (typeof s[key] !== 'string') throw new MonitorStateError(`"${key}" is not a string`);
  }
  if (!Number.isSafeInteger(s.size) || (s.size as number) < 0)
    throw new MonitorStateError('"size" is not a tree size');
  try {
    new Ed25519NoteVerifier(s.vkey as string);
    if (decodeBase64(s.root as string, 'root').length !== 32)
      throw new MonitorStateError('"root" is not 32 bytes');
  } catch (error) {
    if (error instanceof NoteFormatError) throw new MonitorStateError(error.message);
    throw error;
  }
  return s as MonitorState;
}

/** The state in `file`, or undefined when there is no such file (the first run). */
export async function loadMonitorState(file: string): Promise<MonitorState | undefined> {
  let text: string;
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      if (size > MAX_STATE_BYTES) throw new MonitorStateError(`longer than ${MAX_STATE_BYTES} bytes`);
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (error instanceof MonitorStateError) throw error;
    throw new MonitorStateError((error as Error).message);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new MonitorStateError('not JSON');
  }
  return checkState(doc);
}

/** Replaces the state in `file` atomically. */
export async function saveMonitorState(file: string, state: MonitorState): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w', 0o644);
  try {
    await handle.writeFile(`${JSON.stringify(state, null, 2)}\n`, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await handle.close();
  await rename(temporary, file);
  // the rename is durable once the folder is: best effort, some file systems refuse to open a folder
  const folder = await open(dirname(file), 'r').catch(() => undefined);
  await folder
    ?.sync()
    .catch(() => undefined)
    .finally(() => folder.close());
}
