import type { VerificationKey } from '@broker/trust';
import { VerifiedTokenCache } from './verified-token-cache';

// The keys are only compared by identity here: plain objects stand for imported keys.
const keyA = { kid: 'a', algorithms: ['ES256'] } as unknown as VerificationKey;
const keyB = { kid: 'a', algorithms: ['ES256'] } as unknown as VerificationKey;

function cacheWith(limit: number, inForce: () => VerificationKey | undefined = () => keyA) {
  return new VerifiedTokenCache<string>(limit, inForce);
}
const entry = (value: string, exp: number, key = keyA) => ({ value, exp, key, issuer: 'i', kid: 'a' });

describe('VerifiedTokenCache', () => {
  it('keys by the SHA-256 digest of the token (43 base64url characters, not the token)', () => {
    const token = 'x'.repeat(5000);
    const d = VerifiedTokenCache.digest(token);
    expect(d).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(VerifiedTokenCache.digest(token)).toBe(d);
    expect(VerifiedTokenCache.digest(`${token}y`)).not.toBe(d);
  });

  it('serves an entry before its exp and not from its exp on, dropping it', () => {
    const c = cacheWith(10);
    c.set('d', entry('v', 1000), 900);
    expect(c.get('d', 999)).toBe('v');
    expect(c.get('d', 1000)).toBeUndefined();
    expect(c.size).toBe(0);
    // and it stays gone, even asked at an earlier time
    expect(c.get('d', 900)).toBeUndefined();
  });

  it('does not keep an entry already expired when set', () => {
    const c = cacheWith(10);
    c.set('d', entry('v', 1000), 1000);
    expect(c.size).toBe(0);
  });

  it('holds at most `limit` entries, evicting the least recently used', () => {
    const c = cacheWith(3);
    c.set('a', entry('A', 2000), 0);
    c.set('b', entry('B', 2000), 0);
    c.set('c', entry('C', 2000), 0);
    expect(c.get('a', 1)).toBe('A'); // a is now the most recently used
    c.set('d', entry('D', 2000), 0);
    expect(c.size).toBe(3);
    expect(c.get('b', 1)).toBeUndefined();
    expect(['a', 'c', 'd'].map((k) => c.get(k, 1))).toEqual(['A', 'C', 'D']);
    for (let i = 0; i < 100; i++) c.set(`k${i}`, entry(`${i}`, 2000), 0);
    expect(c.size).toBe(3);
    expect(['k97', 'k98', 'k99'].map((k) => c.get(k, 1))).toEqual(['97', '98', '99']);
  });

  it('setting a digest again replaces its entry without growing', () => {
    const c = cacheWith(2);
    c.set('a', entry('A', 2000), 0);
    c.set('a', entry('A2', 3000), 0);
    expect(c.size).toBe(1);
    expect(c.get('a', 2500)).toBe('A2');
  });

  it('misses once the key that verified the entry is no longer the one in force (trust file loaded again)', () => {
    let inForce: VerificationKey | undefined = keyA;
    const c = cacheWith(10, () => inForce);
    c.set('d', entry('v', 2000), 0);
    expect(c.get('d', 1)).toBe('v');
    inForce = keyB; // same kid, a new key object: a reload
    expect(c.get('d', 1)).toBeUndefined();
    expect(c.size).toBe(0);
    c.set('e', entry('w', 2000, keyB), 0);
    inForce = undefined; // the issuer or kid removed
    expect(c.get('e', 1)).toBeUndefined();
  });

  it('clear() drops everything', () => {
    const c = cacheWith(10);
    c.set('a', entry('A', 2000), 0);
    c.clear();
    expect(c.size).toBe(0);
    expect(c.get('a', 1)).toBeUndefined();
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => cacheWith(0)).toThrow(/positive integer/);
  });
});
