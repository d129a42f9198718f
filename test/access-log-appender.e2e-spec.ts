/**
 * The group-commit queue against a real PostgreSQL ("medium" test: one service, a real database,
 * the real migrations): the appender's own pool goes through a TCP proxy the test stalls, so
 * that a hung transaction, a full queue and a missed deadline happen for real.
 */
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { DataSource as TypeOrmDataSource } from 'typeorm';
import {
  AccessLogAppender,
  AccessLogRepository,
  verifyAccessLog,
  type AccessEntry,
  type NewAccessEntry,
} from '@broker/access-log';
import type { DatabaseLimits } from '@broker/config';
import { ConsentStore } from '@broker/consent';
import { dataSourceOptions, openDatabase } from '@broker/database';
import { BrokerError, ErrorCode } from '@broker/errors';
import { TcpProxy, createTestDatabase, sql } from '@broker/testing';

const LOG_POOL: DatabaseLimits = {
  poolSize: 2,
  statementTimeoutMs: 1000,
  idleInTransactionTimeoutMs: 3000,
  queryTimeoutMs: 1500,
  connectTimeoutMs: 1000,
  keepAliveDelayMs: 1000,
};
const DEADLINE_MS = 300;
const QUEUE_MAX = 5;

const entry = (correlationId: string): NewAccessEntry => ({
  occurredAt: new Date(),
  channel: 'sync',
  memberId: 'medium-member',
  purpose: 'medium-test',
  consentIssuer: 'medium-issuer',
  consentJti: `jti-${correlationId}`,
  subject: null,
  itemsRequested: ['name'],
  itemsDisclosed: [],
  outcome: 'REFUSED',
  reasonCode: 'CONSENT_INVALID',
  source: null,
  correlationId,
  jobId: null,
});

/** How an append ended and after how long. */
async function settle(p: Promise<unknown>, since: number): Promise<{ code: string; ms: number }> {
  try {
    await p;
    return { code: 'OK', ms: Date.now() - since };
  } catch (e) {
    return { code: e instanceof BrokerError ? e.code : String(e), ms: Date.now() - since };
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('access-log appender: bounded queue over a stalled database', () => {
  let db: { url: string; drop(): Promise<void> };
  let main: DataSource;
  let logDs: DataSource;
  let proxy: TcpProxy;
  let repo: AccessLogRepository;
  let appender: AccessLogAppender;

  beforeAll(async () => {
    db = await createTestDatabase();
    main = await openDatabase(db.url, { migrate: true, poolSize: 2 });
    const u = new URL(db.url);
    proxy = await TcpProxy.start({ host: u.hostname, port: Number(u.port || 5432) });
    logDs = await new TypeOrmDataSource(dataSourceOptions(proxy.via(db.url), LOG_POOL)).initialize();
    repo = new AccessLogRepository(main);
    appender = new AccessLogAppender(logDs, repo, new ConsentStore(main), {
      queueMaxEntries: QUEUE_MAX,
      deadlineMs: DEADLINE_MS,
    });
  });

  afterAll(async () => {
    proxy?.resume();
    appender?.onModuleDestroy();
    await logDs?.destroy().catch(() => undefined);
    await main?.destroy();
    await proxy?.close();
    await db?.drop();
  });

  async function logged(correlationIds: string[]): Promise<string[]> {
    const rows = await sql<{ correlation_id: string }>(
      db.url,
      'SELECT correlation_id FROM access_log WHERE correlation_id = ANY($1::text[]) ORDER BY seq',
      [correlationIds],
    );
    return rows.map((r) => r.correlation_id);
  }

  it('refuses at once when full, refuses waiting entries at their deadline while a write hangs, writes none of them, and recovers', async () => {
    const before = await appender.append(entry(`warm-${randomUUID()}`));
    expect(before.seq).toBeDefined();
    expect(appender.writable).toBe(true);

    proxy.stall();
    const ids = Array.from({ length: QUEUE_MAX + 2 }, (_, i) => `stall-${i}-${randomUUID()}`);
    const t0 = Date.now();
    // the first one goes into a transaction that hangs (its BEGIN gets no answer)
    const inFlight = settle(appender.append(entry(ids[0])), t0);
    await sleep(50);
    expect(appender.queued).toBe(0);
    // the next QUEUE_MAX wait behind it and fill the queue
    const waiting = ids.slice(1, QUEUE_MAX + 1).map((id) => settle(appender.append(entry(id)), Date.now()));
    expect(appender.queued).toBe(QUEUE_MAX);
    expect(appender.writable).toBe(false);
    // one more: refused at once
    const full = await settle(appender.append(entry(ids[QUEUE_MAX + 1])), Date.now());
    expect(full.code).toBe(ErrorCode.ACCESS_LOG_UNAVAILABLE);
    expect(full.ms).toBeLessThan(50);
    expect(appender.stats.rejectedQueueFull).toBe(1);

    // the waiting ones: refused at their deadline, while the write is still in flight
    const waited = await Promise.all(waiting);
    for (const w of waited) {
      expect(w.code).toBe(ErrorCode.ACCESS_LOG_UNAVAILABLE);
      expect(w.ms).toBeGreaterThanOrEqual(DEADLINE_MS - 5);
      expect(w.ms).toBeLessThan(DEADLINE_MS + 250);
    }
    expect(appender.stats.rejectedDeadline).toBe(QUEUE_MAX);
    expect(appender.queued).toBe(0);
    // the one in the transaction: answered by the transaction (client-side query timeout), not by the deadline
    const first = await inFlight;
    expect(first.code).toBe(ErrorCode.ACCESS_LOG_UNAVAILABLE);
    expect(first.ms).toBeGreaterThanOrEqual(LOG_POOL.queryTimeoutMs - 5);
    expect(first.ms).toBeLessThan(LOG_POOL.queryTimeoutMs + 1000);
    expect(appender.writable).toBe(false);

    // a new append while stalled: refused within deadline + query timeout at most
    const during = await settle(appender.append(entry(`during-${randomUUID()}`)), Date.now());
    expect(during.code).toBe(ErrorCode.ACCESS_LOG_UNAVAILABLE);
    expect(during.ms).toBeLessThan(DEADLINE_MS + LOG_POOL.queryTimeoutMs + 500);

    proxy.resume();
    const after = `after-${randomUUID()}`;
    await expect(appender.append(entry(after))).resolves.toMatchObject({ correlationId: after });
    expect(appender.writable).toBe(true);
    // give anything the stalled connections had sent a moment to land: nothing that waited in
    // the queue may commit; the one in flight had its one-statement append sent (it follows the
    // head of the warm-up commit), so, as a COMMIT whose answer never came, it may have committed:
    // refused all the same, the log may name an answer that was not sent, never the reverse
    await sleep(500);
    const written = await logged([...ids, after]);
    expect(written.filter((id) => id !== ids[0])).toEqual([after]);
    const report = await verifyAccessLog(main, repo);
    expect(report.ok).toBe(true);
  });

  it('chains after a head another writer moved (the one-statement append misses and seals under the lock), also under concurrency', async () => {
    const tag = randomUUID();
    const a = new AccessLogAppender(main, repo, new ConsentStore(main));
    const b = new AccessLogAppender(main, repo, new ConsentStore(main));
    const seqsOf = (es: AccessEntry[]) => es.map((e) => Number(e.seq));
    // a: the locked transaction (head unknown), then the one statement after its own head
    const a1 = await a.append(entry(`a1-${tag}`));
    const a2 = await a.append(entry(`a2-${tag}`));
    // b moves the head behind a's back; a's next one-statement append must miss and re-seal
    const b1 = await b.append(entry(`b1-${tag}`));
    const a3 = await a.append(entry(`a3-${tag}`));
    // appendWithin (the batch path) moves it too
    const q = main.createQueryRunner();
    await q.connect();
    await q.startTransaction();
    const [w1] = await b.appendWithin(q, [entry(`w1-${tag}`)]);
    await q.commitTransaction();
    await q.release();
    const a4 = await a.append(entry(`a4-${tag}`));
    const serial = [a1, a2, b1, a3, w1, a4];
    expect(seqsOf(serial)).toEqual(serial.map((_, i) => Number(a1.seq) + i));
    serial.slice(1).forEach((e, i) => expect(e.prevHash).toBe(serial[i].hash));
    // both writers at once, many batches each: one chain, no seq twice
    const both = await Promise.all(
      Array.from({ length: 300 }, (_, i) => (i % 2 ? a : b).append(entry(`c${i}-${tag}`))),
    );
    const seqs = seqsOf(both).sort((x, y) => x - y);
    expect(new Set(seqs).size).toBe(both.length);
    expect(seqs[seqs.length - 1] - seqs[0]).toBe(both.length - 1);
    const head = await repo.head();
    expect(head.seq).toBe(BigInt(seqs[seqs.length - 1]));
    const report = await verifyAccessLog(main, repo);
    expect(report.ok).toBe(true);
    a.onModuleDestroy();
    b.onModuleDestroy();
  });

  it('stores what it sealed, field for field, through the one-statement insert (odd strings, arrays, a batch above the insert slice)', async () => {
    // what the log accepts (entry-strings): free text only in auditFilter, identifiers elsewhere
    const odd = ['a"b', 'back\\slash', 'comma,brace{}', 'NULL', '', 'é ✓ 𝄞', '"{\\"}"'];
    const tag = randomUUID();
    const entries: NewAccessEntry[] = odd.map((text, i) => ({
      ...entry(`odd-${i}-${tag}`),
      purpose: `p+=/@:.${i}`,
      subject: i % 2 ? null : '1990010112345',
      itemSources: i % 2 ? ['name:rnpp', 'birth:rnpp'] : null,
      itemsFailed: i % 2 ? ['birth'] : null,
      auditFilter: text,
      outcome: 'DISCLOSED',
      itemsDisclosed: ['name'],
      reasonCode: null,
    }));
    // an appender with the default queue over the direct pool: this suite's own holds 5 entries
    const roomy = new AccessLogAppender(main, repo, new ConsentStore(main));
    const appended = await Promise.all(entries.map((e) => roomy.append(e)));
    // appendWithin slices its insert (1000 entries per statement): 1,205 entries in one transaction
    const many = Array.from({ length: 1205 }, (_, i) => entry(`within-${i}-${tag}`));
    const q = main.createQueryRunner();
    await q.connect();
    await q.startTransaction();
    const within = await roomy.appendWithin(q, many);
    await q.commitTransaction();
    await q.release();
    const sealed = [...appended, ...within];
    const stored = await repo.findBySeqs(sealed.map((e) => e.seq));
    // absent optional fields come back as null
    const stated = (e: AccessEntry) => ({
      ...e,
      auditFilter: e.auditFilter ?? null,
      itemSources: e.itemSources ?? null,
      itemsFailed: e.itemsFailed ?? null,
    });
    expect(stored).toEqual([...sealed].sort((a, b) => Number(a.seq) - Number(b.seq)).map(stated));
    expect(stored.filter((e) => e.auditFilter !== null).map((e) => e.auditFilter)).toEqual(odd);
    // contiguous, and the head is the last one
    const seqs = within.map((e) => Number(e.seq));
    expect(seqs).toEqual(Array.from({ length: many.length }, (_, i) => seqs[0] + i));
    expect(await repo.head()).toEqual({
      seq: BigInt(within[within.length - 1].seq),
      hash: within[within.length - 1].hash,
    });
    const report = await verifyAccessLog(main, repo);
    expect(report.ok).toBe(true);
  });

  it('turns writable again after a stall without any traffic (probe)', async () => {
    proxy.stall();
    const failed = await settle(appender.append(entry(`probe-${randomUUID()}`)), Date.now());
    expect(failed.code).toBe(ErrorCode.ACCESS_LOG_UNAVAILABLE);
    expect(appender.writable).toBe(false);
    await sleep(1500);
    expect(appender.writable).toBe(false);
    proxy.resume();
    const t0 = Date.now();
    while (!appender.writable && Date.now() - t0 < 5000) await sleep(50);
    expect(appender.writable).toBe(true);
  });

  it('refuses at once, without a deadline wait, when the database refuses connections', async () => {
    const closed = await new TypeOrmDataSource(dataSourceOptions(proxy.via(db.url), LOG_POOL)).initialize();
    const gone = new AccessLogAppender(closed, repo, new ConsentStore(main), {
      queueMaxEntries: QUEUE_MAX,
      deadlineMs: 5000,
    });
    await closed.destroy();
    const r = await settle(gone.append(entry(`closed-${randomUUID()}`)), Date.now());
    gone.onModuleDestroy();
    expect(r.code).toBe(ErrorCode.ACCESS_LOG_UNAVAILABLE);
    expect(r.ms).toBeLessThan(1000);
  });
});
