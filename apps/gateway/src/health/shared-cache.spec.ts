import { SharedCache, within } from './shared-cache';

/** A computation the test resolves by hand, counting its starts. */
function controlled(): {
  starts: number;
  compute: () => Promise<number>;
  finish(v: number): void;
  fail(): void;
} {
  const pending: { resolve(v: number): void; reject(e: Error): void }[] = [];
  const c = {
    starts: 0,
    compute: () => {
      c.starts++;
      return new Promise<number>((resolve, reject) => pending.push({ resolve, reject }));
    },
    finish: (v: number) => pending.shift()?.resolve(v),
    fail: () => pending.shift()?.reject(new Error('down')),
  };
  return c;
}

describe('SharedCache', () => {
  it('shares one computation among concurrent callers', async () => {
    const c = controlled();
    const cache = new SharedCache(5000, c.compute, () => 0);
    const all = Promise.all([cache.get(), cache.get(), cache.get()]);
    c.finish(7);
    expect(await all).toEqual([7, 7, 7]);
    expect(c.starts).toBe(1);
  });

  it('serves the stored value until it is ttlMs old, then computes again', async () => {
    let now = 1000;
    const c = controlled();
    const cache = new SharedCache(5000, c.compute, () => now);
    const first = cache.get();
    c.finish(1);
    expect(await first).toBe(1);
    now += 4999;
    expect(await cache.get()).toBe(1);
    expect(c.starts).toBe(1);
    now += 1;
    const second = cache.get();
    c.finish(2);
    expect(await second).toBe(2);
    expect(c.starts).toBe(2);
  });

  it('does not store a failure: every waiter sees it, the next caller computes again', async () => {
    const c = controlled();
    const cache = new SharedCache(5000, c.compute, () => 0);
    const a = cache.get();
    const b = cache.get();
    c.fail();
    await expect(a).rejects.toThrow('down');
    await expect(b).rejects.toThrow('down');
    const again = cache.get();
    c.finish(3);
    expect(await again).toBe(3);
    expect(c.starts).toBe(2);
  });
});

describe('within', () => {
  it('gives the value, or the fallback on failure or past the deadline', async () => {
    expect(await within(Promise.resolve(1), 1000, null)).toBe(1);
    expect(await within(Promise.reject(new Error('x')), 1000, null)).toBeNull();
    expect(await within(new Promise(() => undefined), 10, 'late')).toBe('late');
  });
});
