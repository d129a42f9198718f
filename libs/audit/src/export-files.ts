import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import type { ExportFormat } from './export-format';

/** The names an export job may create in EXPORT_DIR, all derived from its id (nothing else is ever deleted). */
export function exportFileNames(
  id: string,
  format: ExportFormat,
): { file: string; partial: string; manifest: string } {
  const file = `${id}.${format}`;
  return { file, partial: `${file}.partial`, manifest: `${file}.manifest.jws` };
}

const OWN_NAME =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.(ndjson|csv)(\.partial|\.manifest\.jws)?$/;

/** True for a name that exportFileNames can produce (a recorded name is checked again before it is deleted). */
export function isExportFileName(name: string): boolean {
  return OWN_NAME.test(name);
}

/** Creates EXPORT_DIR if needed and makes it private to the broker's user (0700); refuses a symlink. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await lstat(dir);
  if (!st.isDirectory()) throw new Error(`EXPORT_DIR ${dir} is not a directory (a symlink is refused)`);
  if ((st.mode & 0o777) !== 0o700) await chmod(dir, 0o700);
}

/** Opens a new file for writing, readable by the broker's user only (0600); never follows a symlink. */
export function createPrivateFile(file: string): Promise<FileHandle> {
  // O_EXCL: fails on anything already there, a symlink included, instead of writing through it
  return open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
}

/** Opens a file the broker wrote, for reading; refuses a symlink or anything but a regular file. */
export async function openOwnFile(file: string): Promise<FileHandle | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    return undefined;
  }
  return handle;
}

/**
 * Deletes `name` in `dir` when it is one of the broker's names and a regular file; a symlink or
 * anything else under that name is left alone (unlink never follows a link, and it is not ours).
 * Returns false when something stayed.
 */
export async function removeOwnFile(dir: string, name: string): Promise<boolean> {
  if (!isExportFileName(name) || path.basename(name) !== name) return false;
  const file = path.join(dir, name);
  try {
    if (!(await lstat(file)).isFile()) return false;
    await unlink(file);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
