/**
 * "Medium" tests: the batch services against the real PostgreSQL with the real migrations, their
 * other collaborators stubbed. They pin down the order of locks inside the batch transactions:
 * a job's own rows (up to 10,000 item rows, encrypted results) are written before the chain
 * head is locked, so a synchronous disclosure appending its entry meanwhile is not held up.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { DataSource, QueryRunner } from 'typeorm';
import { AccessLogAppender, AccessLogRepository, type WithdrawalCheck } from '@broker/access-log';
import {
  BatchProcessorService,
  BatchQueryService,
  BatchRepository,
  BatchSubmissionService,
  ResultsCipher,
  batchAccessContext,
  type ChunkDispatcher,
  type ItemSettlement,
  type NewItem,
} from '@broker/batch';
import { loadBrokerConfig, type BrokerConfig } from '@broker/config';
import type { Consent, ConsentRevocations, ConsentVerifierService } from '@broker/consent';
import type { DataItem } from '@broker/data-items';
import { openDatabase } from '@broker/database';
import { BrokerError, ErrorCode } from '@broker/errors';
import { makeMatricule } from '@broker/matricule';
import {
  PersonSourcesService,
  RNPP_CATALOGUE,
  RnppAdapter,
  SourceRegistry,
  type PersonSource,
} from '@broker/sources';
import { createTestDatabase, GRANTED_PURPOSE, sql } from '@broker/testing';
import type { Member, TrustRegistry } from '@broker/trust';

const ITEMS = 5000;
const MEMBER: Member = {
  id: 'member-lock-order',
  name: 'Lock order',
  keys: new Map(),
  grants: new Map([[GRANTED_PURPOSE, new Set<DataItem>(['name'])]]),
};

/** A gate the test opens: `wait()` resolves once `open()` is called. */
function gate(): { wait(): Promise<void>; open(): void; reached: Promise<void> } {
  let open!: () => void;
  let reach!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const reached = new Promise<void>((r) => (reach = r));
  return {
    wait: () => (reach(), opened),
    open,
    reached,
  };
}

/** A BatchRepository that stops, inside the caller's transaction, after writing its rows. */
class PausingRepository extends BatchRepository {
  pause?: ReturnType<typeof gate>;

  override async insertItems(q: QueryRunner, jobId: string, items: readonly NewItem[]): Promise<void> {
    await super.insertItems(q, jobId, items);
    await this.pause?.wait();
  }

  override async applySettlements(
    q: QueryRunner,
    jobId: string,
    settled: readonly ItemSettlement[],
  ): Promise<void> {
    await super.applySettlements(q, jobId, settled);
    await this.pause?.wait();
  }
}

/** Settles within `ms`, or says it did not. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'still waiting'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<'still waiting'>((r) => (timer = setTimeout(() => r('still waiting'), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe('batch transactions: the chain head locked last, held results purged (real PostgreSQL, collaborators stubbed)', () => {
  let db: { url: string; drop(): Promise<void> };
  let ds: DataSource;
  let config: BrokerConfig;
  let repo: PausingRepository;
  let submission: BatchSubmissionService;
  let processor: BatchProcessorService;
  let query: BatchQueryService;
  /** Another process's appender (the synchronous path), with its own connections. */
  let syncLog: AccessLogAppender;
  const subjects = Array.from({ length: ITEMS }, (_, i) => makeMatricule('19800101', 100 + (i % 800)));

  /** The stubbed register: reads in flight now and at most, and how long each takes. */
  const reads = { inFlight: 0, most: 0, delayMs: 0 };
  /** What the stubbed verifier answers for the next submission: jti `${jtiPrefix}-${i}`, lifetime `lifetimeS`. */
  const plan = { jtiPrefix: 'a', lifetimeS: 3600 };
  const consentOf = (subject: string, i: number): Consent => ({
    issuer: 'issuer-lock-order',
    jti: `${plan.jtiPrefix}-${i}`,
    subject,
    audience: MEMBER.id,
    purpose: GRANTED_PURPOSE,
    scope: new Set<DataItem>(['name']),
    issuedAt: Math.floor(Date.now() / 1000),
    expiresAt: Math.floor(Date.now() / 1000) + plan.lifetimeS,
  });

  beforeAll(async () => {
    db = await createTestDatabase('broker_lock_order');
    ds = await openDatabase(db.url, { migrate: true, poolSize: 6 });
    config = {
      ...loadBrokerConfig({ BROKER_MODE: 'development', DATABASE_URL: db.url, LOG_LEVEL: 'error' }),
      batchChunkSize: ITEMS,
      batchMaxItems: ITEMS,
      batchMaxInFlight: 20,
      quota: { requestsPerSecond: 5000, concurrentJobs: 20 },
    };
    const accessRepo = new AccessLogRepository(ds);
    await accessRepo.ensurePartitions(new Date(), 1);
    const noWithdrawals: WithdrawalCheck = { withdrawnAmong: () => Promise.resolve(new Set<string>()) };
    const batchLog = new AccessLogAppender(ds, accessRepo, noWithdrawals);
    syncLog = new AccessLogAppender(ds, accessRepo, noWithdrawals);
    repo = new PausingRepository(ds);
    // token `stubbed-<i>` is request i's consent; every tenth does not verify: those items are
    // refused (and logged) at submission
    const consents = {
      verifyMany: (tokens: readonly (string | undefined)[]) =>
        Promise.resolve(
          tokens.map((t) => {
            const i = Number(t?.replace('stubbed-', ''));
            return i % 10 === 0
              ? new BrokerError(ErrorCode.CONSENT_INVALID, 'The consent token does not verify.')
              : consentOf(subjects[i], i);
          }),
        ),
    } as unknown as ConsentVerifierService;
    const dispatcher: ChunkDispatcher = {
      mode: 'in-process',
      enqueue: () => Promise.resolve(),
      ensure: () => Promise.resolve(0),
      counts: () => Promise.resolve({}),
      close: () => Promise.resolve(),
    } as unknown as ChunkDispatcher;
    submission = new BatchSubmissionService(ds, repo, consents, batchLog, dispatcher, config);
    const trust = {
      member: (id: string) => (id === MEMBER.id ? MEMBER : undefined),
    } as unknown as TrustRegistry;
    const source = {
      name: 'rnpp-stub',
      fetchPerson: async (m: string) => {
        reads.inFlight++;
        reads.most = Math.max(reads.most, reads.inFlight);
        if (reads.delayMs) await new Promise((r) => setTimeout(r, reads.delayMs));
        reads.inFlight--;
        return { matricule: m, surname: 'Stub', givenNames: ['Lock'] };
      },
    } as unknown as PersonSource;
    const revocations: ConsentRevocations = {
      revokedAmong: () => Promise.resolve(new Set<string>()),
      withdrawnAmong: () => Promise.resolve(new Set<string>()),
    };
    const cipher = new ResultsCipher(randomBytes(32));
    // the RNPP alone (the job asks RNPP items only): a registry of one source, no other adapter needed
    const sources = new PersonSourcesService([new RnppAdapter(source)], new SourceRegistry([RNPP_CATALOGUE]));
    processor = new BatchProcessorService(ds, repo, trust, sources, batchLog, cipher, config, revocations);
    query = new BatchQueryService(repo, cipher);
  }, 60_000);

  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const syncEntry = () => ({
    occurredAt: new Date(),
    channel: 'sync' as const,
    memberId: MEMBER.id,
    purpose: GRANTED_PURPOSE,
    consentIssuer: null,
    consentJti: null,
    subject: null,
    itemsRequested: ['name' as DataItem],
    itemsDisclosed: [],
    outcome: 'REFUSED' as const,
    reasonCode: ErrorCode.CONSENT_INVALID,
    source: null,
    correlationId: randomUUID(),
    jobId: null,
  });

  it('appends a synchronous entry while a 5,000-item submission has written its items and not yet committed', async () => {
    repo.pause = gate();
    const submitted = submission.submit(batchAccessContext(MEMBER, randomUUID()), {
      purpose: GRANTED_PURPOSE,
      items: ['name'],
      requests: subjects.map((m, i) => ({ matricule: m, consentToken: `stubbed-${i}` })),
    });
    await repo.pause.reached;
    // the submission's transaction holds its 5,000 item rows: the head must still be free
    const appended = await within(syncLog.append(syncEntry()), 3000);
    repo.pause.open();
    repo.pause = undefined;
    const job = await submitted;
    expect(appended).not.toBe('still waiting');

    // the refusals were logged in the job's transaction and their items point at their entries
    expect(job.refused).toBe(ITEMS / 10);
    const refused = await sql<{ n: string; seqs: string; logged: string }>(
      db.url,
      `SELECT count(*) AS n, count(DISTINCT b.log_seq) AS seqs, count(a.seq) AS logged
       FROM batch_item b LEFT JOIN access_log a ON a.seq = b.log_seq AND a.job_id = b.job_id::text
       WHERE b.job_id = $1 AND b.state = 'REFUSED'`,
      [job.id],
    );
    expect(refused[0]).toEqual({
      n: String(ITEMS / 10),
      seqs: String(ITEMS / 10),
      logged: String(ITEMS / 10),
    });
    const codes = await sql<{ reason_code: string; n: string }>(
      db.url,
      `SELECT reason_code, count(*) AS n FROM access_log WHERE job_id = $1 GROUP BY reason_code`,
      [job.id],
    );
    expect(codes).toEqual([{ reason_code: ErrorCode.CONSENT_INVALID, n: String(ITEMS / 10) }]);
  });

  it('appends a synchronous entry while a chunk has written its encrypted results and not yet committed', async () => {
    const job = await submission.submit(batchAccessContext(MEMBER, randomUUID()), {
      purpose: GRANTED_PURPOSE,
      items: ['name'],
      requests: subjects.slice(0, 2000).map((m, i) => ({ matricule: m, consentToken: `stubbed-${i}` })),
    });
    repo.pause = gate();
    const processed = processor.processChunk(job.id, 0, false);
    await repo.pause.reached;
    const appended = await within(syncLog.append(syncEntry()), 3000);
    repo.pause.open();
    repo.pause = undefined;
    const outcome = await processed;
    expect(appended).not.toBe('still waiting');

    expect(outcome).toMatchObject({ settled: 1800, retry: 0 });
    const released = await sql<{ n: string; logged: string }>(
      db.url,
      `SELECT count(*) AS n, count(a.seq) AS logged
       FROM batch_item b LEFT JOIN access_log a ON a.seq = b.log_seq AND a.job_id = b.job_id::text
         AND a.outcome = 'DISCLOSED' AND a.subject = b.matricule
       WHERE b.job_id = $1 AND b.state = 'RELEASED' AND b.result IS NOT NULL`,
      [job.id],
    );
    expect(released[0]).toEqual({ n: '1800', logged: '1800' });
  });

  /** Submits `n` stubbed requests (consents as `plan` says) and returns the job. */
  const submitStubbed = (n: number) =>
    submission.submit(batchAccessContext(MEMBER, randomUUID()), {
      purpose: GRANTED_PURPOSE,
      items: ['name'],
      requests: subjects.slice(0, n).map((m, i) => ({ matricule: m, consentToken: `stubbed-${i}` })),
    });
  const itemsOf = (jobId: string) =>
    sql<{ idx: number; state: string; held: boolean; error_code: string | null }>(
      db.url,
      `SELECT idx, state, result IS NOT NULL AS held, error_code FROM batch_item WHERE job_id = $1 ORDER BY idx`,
      [jobId],
    );

  it('purges a result whose release is committing when the consent is withdrawn: the purge waits for that commit', async () => {
    plan.jtiPrefix = 'race';
    const job = await submitStubbed(3);
    repo.pause = gate();
    const processed = processor.processChunk(job.id, 0, false);
    await repo.pause.reached;
    // the chunk's transaction holds item 1 as RELEASED, uncommitted; the citizen withdraws now
    const purge = repo.purgeConsentResults('issuer-lock-order', 'race-1');
    expect(await within(purge, 500)).toBe('still waiting');
    repo.pause.open();
    repo.pause = undefined;
    await processed;
    expect(await purge).toBe(1);
    expect(await itemsOf(job.id)).toEqual([
      { idx: 0, state: 'REFUSED', held: false, error_code: ErrorCode.CONSENT_INVALID },
      { idx: 1, state: 'REFUSED', held: false, error_code: ErrorCode.CONSENT_REVOKED },
      { idx: 2, state: 'RELEASED', held: true, error_code: null },
    ]);
    expect(await query.job(batchAccessContext(MEMBER, randomUUID()), job.id)).toMatchObject({
      succeeded: 1,
      refused: 2,
    });
  });

  it("never serves a result past its consent's expiry, before any sweep: it reads CONSENT_REVOKED and is purged", async () => {
    plan.jtiPrefix = 'short';
    plan.lifetimeS = 2;
    const job = await submitStubbed(3);
    plan.lifetimeS = 3600;
    await processor.processChunk(job.id, 0, false);
    const before = await query.results(job, 0, 10);
    expect(before.map((r) => r.state)).toEqual(['REFUSED', 'RELEASED', 'RELEASED']);
    expect(before[1].person).toMatchObject({ surname: 'Stub' });
    await new Promise((r) => setTimeout(r, 2500));
    const after = await query.results(job, 0, 10);
    expect(after.slice(1)).toEqual([
      expect.objectContaining({
        state: 'REFUSED',
        person: null,
        error: expect.objectContaining({ code: ErrorCode.CONSENT_REVOKED }),
      }),
      expect.objectContaining({
        state: 'REFUSED',
        person: null,
        error: expect.objectContaining({ code: ErrorCode.CONSENT_REVOKED }),
      }),
    ]);
    expect((await itemsOf(job.id)).map((i) => i.held)).toEqual([false, false, false]);
  });

  it('keeps at most 8 register reads in flight in a worker process, however many chunks it runs at once', async () => {
    plan.jtiPrefix = 'reads';
    const jobs = [await submitStubbed(60), await submitStubbed(60), await submitStubbed(60)];
    reads.most = 0;
    reads.delayMs = 20;
    try {
      const outcomes = await Promise.all(jobs.map((j) => processor.processChunk(j.id, 0, false)));
      expect(outcomes.map((o) => o.settled)).toEqual([54, 54, 54]);
    } finally {
      reads.delayMs = 0;
    }
    expect(reads.most).toBe(8);
  });
});
