/**
 * The consent ledger's withdrawal read against real PostgreSQL: the one-consent read of every
 * synchronous request (a named prepared statement on the DataSource's pool) and the read of
 * many, keyed by (issuer, jti), and still bounded by the request's deadline when the database
 * stalls (issue 13 made the one-consent read cheaper; none of this may change).
 */
import { randomUUID } from 'node:crypto';
import { DataSource as TypeOrmDataSource, type DataSource } from 'typeorm';
import { consentKey } from '@broker/access-log';
import type { DatabaseLimits } from '@broker/config';
import { ConsentStore } from '@broker/consent';
import { dataSourceOptions, openDatabase } from '@broker/database';
import { BrokerError, ErrorCode } from '@broker/errors';
import { TcpProxy, createTestDatabase } from '@broker/testing';

const POOL: DatabaseLimits = {
  poolSize: 2,
  statementTimeoutMs: 1000,
  idleInTransactionTimeoutMs: 3000,
  queryTimeoutMs: 1500,
  connectTimeoutMs: 1000,
  keepAliveDelayMs: 1000,
};
const DEADLINE_MS = 300;

describe('consent ledger: withdrawal reads (PostgreSQL)', () => {
  let db: { url: string; drop(): Promise<void> };
  let main: DataSource;
  let viaProxy: DataSource;
  let proxy: TcpProxy;
  let store: ConsentStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    main = await openDatabase(db.url, { migrate: true, poolSize: 2 });
    const u = new URL(db.url);
    proxy = await TcpProxy.start({ host: u.hostname, port: Number(u.port || 5432) });
    viaProxy = await new TypeOrmDataSource(dataSourceOptions(proxy.via(db.url), POOL)).initialize();
    store = new ConsentStore(viaProxy, DEADLINE_MS);
  });

  afterAll(async () => {
    proxy?.resume();
    await viaProxy?.destroy();
    await main?.destroy();
    await proxy?.close();
    await db?.drop();
  });

  it('reads one consent by (issuer, jti), again and again on every pooled connection', async () => {
    const jti = randomUUID();
    await store.revoke('issuer-a', jti, 'citizen');
    const pool = (viaProxy.driver as unknown as { master: { query: (...a: unknown[]) => unknown } }).master;
    const spy = jest.spyOn(pool, 'query'); // calls through
    // many at once on a pool of two: each connection prepares the statement once, then reuses it
    const reads = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.revokedAmong([{ issuer: i % 2 ? 'issuer-a' : 'issuer-b', jti }]),
      ),
    );
    reads.forEach((r, i) => expect([...r]).toEqual(i % 2 ? [consentKey({ issuer: 'issuer-a', jti })] : []));
    expect(
      spy.mock.calls.filter(([q]) => (q as { name?: string }).name === 'consent_withdrawn_one'),
    ).toHaveLength(20);
    spy.mockRestore();
    // a withdrawal committed now is seen by the next read at once
    await store.revoke('issuer-b', jti, 'issuer');
    expect([...(await store.revokedAmong([{ issuer: 'issuer-b', jti }]))]).toEqual([
      consentKey({ issuer: 'issuer-b', jti }),
    ]);
    // the same consent named twice is one consent
    expect(
      (
        await store.revokedAmong([
          { issuer: 'issuer-a', jti },
          { issuer: 'issuer-a', jti },
        ])
      ).size,
    ).toBe(1);
  });

  it('reads many consents in one query, the same answers as one by one', async () => {
    const gone = randomUUID();
    const kept = randomUUID();
    await store.revoke('issuer-a', gone, 'citizen');
    const many = await store.revokedAmong([
      { issuer: 'issuer-a', jti: gone },
      { issuer: 'issuer-a', jti: kept },
      { issuer: 'issuer-b', jti: gone },
    ]);
    expect([...many]).toEqual([consentKey({ issuer: 'issuer-a', jti: gone })]);
    expect((await store.revokedAmong([])).size).toBe(0);
  });

  it('refuses (ACCESS_LOG_UNAVAILABLE) at the deadline when the database does not answer, and reads again once it does', async () => {
    const jti = randomUUID();
    proxy.stall();
    const since = Date.now();
    let error: unknown;
    try {
      await store.revokedAmong([{ issuer: 'issuer-a', jti }]);
    } catch (e) {
      error = e;
    }
    const ms = Date.now() - since;
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as BrokerError).code).toBe(ErrorCode.ACCESS_LOG_UNAVAILABLE);
    expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 20);
    expect(ms).toBeLessThan(DEADLINE_MS + 700);
    proxy.resume();
    // the stalled query ends at the pool's query timeout; the pool then serves reads again
    await new Promise((r) => setTimeout(r, POOL.queryTimeoutMs + 500));
    expect((await store.revokedAmong([{ issuer: 'issuer-a', jti }])).size).toBe(0);
  }, 15_000);
});
