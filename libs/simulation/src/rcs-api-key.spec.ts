import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRcsApiKey } from './rcs-api-key';

describe('the RCS API key file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rcs-key-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is generated once, mode 0600, when RCS_API_KEY_FILE is unset, then read back', () => {
    const devFile = join(dir, '.data', 'rcs-api-key');
    const first = loadRcsApiKey({}, { devFile });
    expect(first).toMatchObject({ file: devFile, generated: true });
    expect(first.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(devFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(devFile, 'utf8').trim()).toBe(first.key);
    expect(loadRcsApiKey({}, { devFile })).toEqual({ key: first.key, file: devFile, generated: false });
  });

  it('is not generated when generation is off (production), but an existing one is read', () => {
    const devFile = join(dir, '.data', 'rcs-api-key');
    expect(() => loadRcsApiKey({}, { devFile, generate: false })).toThrow(/not found .*RCS_API_KEY_FILE/);
    expect(existsSync(devFile)).toBe(false);
    const made = loadRcsApiKey({}, { devFile });
    expect(loadRcsApiKey({}, { devFile, generate: false }).key).toBe(made.key);
  });

  it('is read from RCS_API_KEY_FILE, trimmed, and never generated there', () => {
    const file = join(dir, 'key');
    writeFileSync(file, 'a-key-of-the-broker-0123456789\n');
    expect(loadRcsApiKey({ RCS_API_KEY_FILE: file }, { devFile: join(dir, 'unused') })).toEqual({
      key: 'a-key-of-the-broker-0123456789',
      file,
      generated: false,
    });
    expect(() => loadRcsApiKey({ RCS_API_KEY_FILE: join(dir, 'missing') })).toThrow(/ENOENT/);
    writeFileSync(file, 'short');
    expect(() => loadRcsApiKey({ RCS_API_KEY_FILE: file })).toThrow(RangeError);
  });
});
