/**
 * A value computed at most once per `ttlMs`: callers within that time get the stored value, and
 * callers that arrive while it is being computed share that one computation. A failed
 * computation is not stored (the next caller tries again). Keeps scrapes and probes from turning
 * into one database or register call each.
 */
export class SharedCache<T> {
  private stored?: { at: number; value: T };
  private inFlight?: Promise<T>;

  constructor(
    private readonly ttlMs: number,
    private readonly compute: () => Promise<T>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The stored value while fresh, else the (shared) result of one new computation. */
  get(): Promise<T> {
    if (this.stored && this.now() - this.stored.at < this.ttlMs) return Promise.resolve(this.stored.value);
    this.inFlight ??= this.compute()
      .then((value) => {
        this.stored = { at: this.now(), value };
        return value;
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }
}

/** `work`'s value, or `fallback` when it fails or takes longer than `ms` (the work itself is not cancelled). */
export function within<T, F>(work: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  return new Promise<T | F>((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    timer.unref();
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      () => {
        clearTimeout(timer);
        resolve(fallback);
      },
    );
  });
}
