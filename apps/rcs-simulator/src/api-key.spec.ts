import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiKeyMatches, loadApiKey } from './api-key';

describe('the RCS API key', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'rcs-key-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is generated once, mode 0600, when RCS_API_KEY_FILE is unset, then read back', () => {
    const devFile = join(dir, '.data', 'rcs-api-key');
    const first = loadApiKey({}, devFile);
    expect(first).toMatchObject({ file: devFile, generated: true });
    expect(first.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(devFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(devFile, 'utf8').trim()).toBe(first.key);
    expect(loadApiKey({}, devFile)).toEqual({ key: first.key, file: devFile, generated: false });
  });

  it('is read from RCS_API_KEY_FILE, trimmed, and never generated there', () => {
    const file = join(dir, 'key');
    writeFileSync(file, 'a-key-of-the-broker-0123456789\n');
    expect(loadApiKey({ RCS_API_KEY_FILE: file }, join(dir, 'unused'))).toEqual({
      key: 'a-key-of-the-broker-0123456789',
      file,
      generated: false,
    });
    expect(() => loadApiKey({ RCS_API_KEY_FILE: join(dir, 'missing') })).toThrow(/ENOENT/);
    writeFileSync(file, 'short');
    expect(() => loadApiKey({ RCS_API_KEY_FILE: file })).toThrow(RangeError);
  });

  it('matches only the exact key', () => {
    const key = 'a-key-of-the-broker-0123456789';
    expect(apiKeyMatches(key, key)).toBe(true);
    expect(apiKeyMatches(key, `${key} `)).toBe(false);
    expect(apiKeyMatches(key, key.slice(0, -1))).toBe(false);
    expect(apiKeyMatches(key, '')).toBe(false);
    expect(apiKeyMatches(key, undefined)).toBe(false);
    expect(apiKeyMatches(key, [key, key])).toBe(false);
  });
});
