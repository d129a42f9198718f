import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestLog } from '../../../test/support/test-tlog';
import { monitorLog, type MonitorState } from './log-monitor';
import { loadMonitorState, MonitorStateError, saveMonitorState } from './monitor-state-file';

describe('the log monitor state file', () => {
  let state: MonitorState;
  beforeAll(async () => {
    const log = new TestLog().append(3);
    const checkpoint = await log.checkpoint();
    const v = await monitorLog(
      { checkpoint: async () => checkpoint, vkey: async () => log.signer.vkey, consistency: async () => [] },
      undefined,
      { witnesses: [], quorum: 0 },
    );
    if (!v.ok) throw new Error(v.line);
    state = v.state;
  });

  it('is absent before the first run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'monitor-state-'));
    await expect(loadMonitorState(join(dir, 'state.json'))).resolves.toBeUndefined();
  });

  it('is replaced whole, leaving no temporary file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'monitor-state-'));
    const file = join(dir, 'state.json');
    await saveMonitorState(file, state);
    await saveMonitorState(file, { ...state, checkedAt: '2027-01-01T00:00:00.000Z' });
    expect(readdirSync(dir)).toEqual(['state.json']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      origin: state.origin,
      size: 3,
      root: state.root,
    });
    await expect(loadMonitorState(file)).resolves.toEqual({
      ...state,
      checkedAt: '2027-01-01T00:00:00.000Z',
    });
  });

  it('refuses an unreadable state rather than starting afresh', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'monitor-state-'));
    const file = join(dir, 'state.json');
    for (const bad of [
      '',
      '{',
      '[]',
      JSON.stringify({ ...state, size: -1 }),
      JSON.stringify({ ...state, root: 'AAAA' }),
      JSON.stringify({ ...state, vkey: 'x' }),
    ]) {
      writeFileSync(file, bad);
      await expect(loadMonitorState(file)).rejects.toThrow(MonitorStateError);
    }
  });
});
