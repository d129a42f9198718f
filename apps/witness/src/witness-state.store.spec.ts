import { mkdtempSync, readdirSync, rmSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCheckpoint, parseNote } from '@broker/transparency';
import { TestLog } from './test-log';
import { FileWitnessStateStore, type WitnessLogState } from './witness-state.store';

const made: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'witness-store-'));
  made.push(dir);
  return dir;
};
afterAll(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function stateOf(log: TestLog): Promise<WitnessLogState> {
  const note = await log.checkpoint();
  const { origin, size, rootHash } = parseCheckpoint(parseNote(note).text);
  return { origin, size, rootHash, checkpoint: note, logVkey: log.vkey, pinned: false, cosignedAt: 1 };
}

describe('FileWitnessStateStore', () => {
  it('keeps a record per origin across reopenings, in files only its owner reads', async () => {
    const dir = tempDir();
    const a = new TestLog('a.test/log').grow(3);
    const b = new TestLog('b.test/log').grow(5);
    const store = await FileWitnessStateStore.open(dir);
    await store.save(await stateOf(a));
    await store.save(await stateOf(b));
    await store.save(await stateOf(a.grow(2)));
    const reopened = await FileWitnessStateStore.open(dir);
    expect(reopened.get('a.test/log')).toMatchObject({ size: 5, logVkey: a.vkey });
    expect(reopened.get('b.test/log')?.rootHash.equals(await b.tree.root())).toBe(true);
    const files = readdirSync(join(dir, 'logs'));
    expect(files.filter((f) => f.endsWith('.json'))).toHaveLength(2);
    expect(files.some((f) => f.endsWith('.tmp'))).toBe(false);
    for (const f of files) expect(statSync(join(dir, 'logs', f)).mode & 0o077).toBe(0);
  });

  it('drops the temporary file of a write that crashed before its rename, keeping the record', async () => {
    const dir = tempDir();
    const log = new TestLog().grow(3);
    const store = await FileWitnessStateStore.open(dir);
    await store.save(await stateOf(log));
    const [file] = readdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs', `${file}.123.1.tmp`), '{"half');
    const reopened = await FileWitnessStateStore.open(dir);
    expect(reopened.get(log.origin)?.size).toBe(3);
    expect(readdirSync(join(dir, 'logs'))).toEqual([file]);
  });

  it.each([
    ['a torn file', (text: string) => text.slice(0, 40)],
    ['a record whose checkpoint does not match it', (text: string) => text.replace('"size": 3', '"size": 4')],
    ['an unknown version', (text: string) => text.replace('"version": 1', '"version": 2')],
  ])('refuses to open over %s rather than start from nothing', async (_label, damage) => {
    const dir = tempDir();
    const store = await FileWitnessStateStore.open(dir);
    await store.save(await stateOf(new TestLog().grow(3)));
    const [file] = readdirSync(join(dir, 'logs'));
    const path = join(dir, 'logs', file);
    writeFileSync(path, damage(readFileSync(path, 'utf8')));
    await expect(FileWitnessStateStore.open(dir)).rejects.toThrow(/unreadable.*never delete it/);
  });

  it('appends refused checkpoints as evidence beside the record', async () => {
    const dir = tempDir();
    const store = await FileWitnessStateStore.open(dir);
    await store.recordRefusal('a.test/log', { reason: 'fork', at: 5 });
    await store.recordRefusal('a.test/log', { reason: 'bad proof', at: 6 });
    const [file] = readdirSync(join(dir, 'logs'));
    expect(file).toMatch(/\.refused\.ndjson$/);
    const lines = readFileSync(join(dir, 'logs', file), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.reason)).toEqual(['fork', 'bad proof']);
    expect((await FileWitnessStateStore.open(dir)).all()).toEqual([]);
  });
});
