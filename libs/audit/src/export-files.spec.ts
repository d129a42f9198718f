import { randomUUID } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  createPrivateFile,
  ensurePrivateDir,
  exportFileNames,
  isExportFileName,
  openOwnFile,
  removeOwnFile,
} from './export-files';

describe('export files', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'export-files-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('names every file of a job from its id, and recognises only those names', () => {
    const id = randomUUID();
    const names = exportFileNames(id, 'csv');
    expect(names).toEqual({
      file: `${id}.csv`,
      partial: `${id}.csv.partial`,
      manifest: `${id}.csv.manifest.jws`,
    });
    for (const n of Object.values(names)) expect(isExportFileName(n)).toBe(true);
    for (const n of [`${id}.csv.bak`, `../${id}.csv`, `${id}.txt`, 'notes.ndjson', `${id}.csv/x`])
      expect(isExportFileName(n)).toBe(false);
  });

  it('makes the directory 0700 and each file 0600, whatever the umask', async () => {
    const dir = path.join(root, 'exports');
    await mkdir(dir, { mode: 0o755 });
    await chmod(dir, 0o755);
    await ensurePrivateDir(dir);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const old = process.umask(0);
    try {
      const h = await createPrivateFile(path.join(dir, 'a'));
      await h.close();
    } finally {
      process.umask(old);
    }
    expect((await stat(path.join(dir, 'a'))).mode & 0o777).toBe(0o600);
  });

  it('refuses a symlinked directory, and never writes or reads through a symlink', async () => {
    const real = path.join(root, 'real');
    await mkdir(real);
    await symlink(real, path.join(root, 'link'));
    await expect(ensurePrivateDir(path.join(root, 'link'))).rejects.toThrow(/symlink is refused/);

    const victim = path.join(root, 'victim');
    await writeFile(victim, 'keep');
    await symlink(victim, path.join(real, 'planted'));
    await expect(createPrivateFile(path.join(real, 'planted'))).rejects.toMatchObject({ code: 'EEXIST' });
    expect(await openOwnFile(path.join(real, 'planted'))).toBeUndefined();
    expect(await readFile(victim, 'utf8')).toBe('keep');
  });

  it('removes only its own names, only regular files, never through a symlink', async () => {
    const id = randomUUID();
    const { file, manifest } = exportFileNames(id, 'ndjson');
    await writeFile(path.join(root, file), 'x');
    const victim = path.join(root, 'victim');
    await writeFile(victim, 'keep');
    await symlink(victim, path.join(root, manifest));
    await writeFile(path.join(root, 'notes.txt'), 'other');

    expect(await removeOwnFile(root, file)).toBe(true);
    await expect(lstat(path.join(root, file))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await removeOwnFile(root, manifest)).toBe(false);
    expect((await lstat(path.join(root, manifest))).isSymbolicLink()).toBe(true);
    expect(await readFile(victim, 'utf8')).toBe('keep');
    expect(await removeOwnFile(root, 'notes.txt')).toBe(false);
    expect(await removeOwnFile(root, `../${path.basename(root)}/notes.txt`)).toBe(false);
    expect(await readFile(path.join(root, 'notes.txt'), 'utf8')).toBe('other');
    // already gone: nothing left to do
    expect(await removeOwnFile(root, file)).toBe(true);
  });
});
