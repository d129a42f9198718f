import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ResultsCipher, loadOrCreateResultsKey, resultAad } from './results-cipher';

describe('ResultsCipher', () => {
  const cipher = new ResultsCipher(randomBytes(32));
  const plain = Buffer.from('{"surname":"Muller"}');

  it('round-trips and never stores the plaintext', () => {
    const sealed = cipher.seal(plain, resultAad('j', 1));
    expect(sealed.includes(plain)).toBe(false);
    expect(cipher.open(sealed, resultAad('j', 1)).toString()).toBe(plain.toString());
    // a fresh IV each time
    expect(cipher.seal(plain, resultAad('j', 1)).equals(sealed)).toBe(false);
  });

  it('refuses a ciphertext moved to another item, altered, or opened with another key', () => {
    const sealed = cipher.seal(plain, resultAad('j', 1));
    expect(() => cipher.open(sealed, resultAad('j', 2))).toThrow();
    expect(() => cipher.open(sealed, resultAad('k', 1))).toThrow();
    const altered = Buffer.from(sealed);
    altered[altered.length - 1] ^= 1;
    expect(() => cipher.open(altered, resultAad('j', 1))).toThrow();
    expect(() => new ResultsCipher(randomBytes(32)).open(sealed, resultAad('j', 1))).toThrow();
    expect(() => cipher.open(Buffer.from([2, 0, 0]), resultAad('j', 1))).toThrow('not a sealed');
  });

  it('wants a 256-bit key', () => {
    expect(() => new ResultsCipher(randomBytes(16))).toThrow('32 bytes');
  });
});

describe('loadOrCreateResultsKey', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'results-key-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('creates a key in development and reads the same one again', async () => {
    const file = path.join(dir, 'k');
    const a = await loadOrCreateResultsKey(file, 'development');
    const b = await loadOrCreateResultsKey(file, 'development');
    expect(a.length).toBe(32);
    expect(a.equals(b)).toBe(true);
    expect(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64').equals(a)).toBe(true);
  });

  it('never generates one in production, and rejects a short key', async () => {
    await expect(loadOrCreateResultsKey(path.join(dir, 'none'), 'production')).rejects.toThrow(
      'does not exist',
    );
    const short = path.join(dir, 'short');
    await writeFile(short, randomBytes(8).toString('base64'));
    await expect(loadOrCreateResultsKey(short, 'production')).rejects.toThrow('32 random bytes');
  });
});
