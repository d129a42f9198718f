import { Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { DataSource, QueryRunner } from 'typeorm';
import {
  type PgClient,
  pgPool,
  pgRunner,
  releasePgClient,
  releaseQueryRunner,
  sqlState,
} from '@broker/database';
import { BrokerError, ErrorCode } from '@broker/errors';
import { inSpan, SPAN_ATTR, tracingEnabled } from '@broker/telemetry';
import type { AccessEntry, NewAccessEntry } from './access-entry';
import { newSalt, prepareEntry, sealPrepared } from './access-chain';
import { AccessEntryRejected, entryProblem } from './entry-strings';
import type { AccessLogRepository } from './access-log.repository';
import { refuseWithdrawn, type WithdrawalCheck } from './withdrawal-check';

/** The span of one append (its entries' count only: an entry's fields stay in the log). */
const APPEND_SPAN = 'access-log append';

interface Pending {
  entry: NewAccessEntry;
  /** Date.now() after which the entry is refused if its transaction has not started. */
  deadline: number;
  resolve: (e: AccessEntry) => void;
  reject: (e: unknown) => void;
}

/** The appender's queue bounds (LOG_QUEUE_MAX_ENTRIES, LOG_APPEND_DEADLINE_MS). */
export interface AppendQueueLimits {
  queueMaxEntries: number;
  deadlineMs: number;
}

/** What the appender tells the metrics (AccessLogMetrics): observations only, on the hot path. */
export interface AppendObserver {
  /** Seconds from append() to its group's commit, once per entry committed. */
  appendSeconds(seconds: number): void;
  /** Entries in one committed group. */
  groupSize(entries: number): void;
}

const DEFAULT_QUEUE_LIMITS: AppendQueueLimits = { queueMaxEntries: 5000, deadlineMs: 2000 };

/** Most entries sealed in one group commit: larger batches take the head lock fewer times under contention from several processes (bench:log). */
const MAX_BATCH = 1000;
/** Most entries in one INSERT statement of appendWithin (bounds one statement's parameters in memory). */
const INSERT_SLICE = 1000;
/**
 * How often the pool is probed when no commit proved it recently: a stall shows as not writable
 * (readiness) even when no request reaches the log, and the end of one without traffic.
 */
const PROBE_INTERVAL_MS = 1000;

function unavailable(): BrokerError {
  return new BrokerError(
    ErrorCode.ACCESS_LOG_UNAVAILABLE,
    'The access log could not be written; nothing was disclosed.',
  );
}

/** The entry with its salt: drawn here, outside the head lock, for every channel (docs/adr/0010). */
function salted(entry: NewAccessEntry): NewAccessEntry {
  return entry.salt ? entry : { ...entry, salt: newSalt() };
}

/** The head after `sealed` (at least one entry). */
function lastHead(sealed: readonly AccessEntry[]): { seq: bigint; hash: string } {
  const last = sealed[sealed.length - 1];
  return { seq: BigInt(last.seq), hash: last.hash };
}

/**
 * Appends entries to the hash chain and resolves only once they are committed.
 *
 * Group commit: while one transaction is in flight, new entries wait and go together in the
 * next one, so the head lock and the commit's fsync are paid once per batch rather than per
 * request. Across processes, the `FOR UPDATE` lock on access_log_head gives one order.
 *
 * Nothing waits without bound (docs/operations.md): the queue holds at most `queueMaxEntries`
 * (beyond, append refuses at once); an entry whose transaction has not started within
 * `deadlineMs` is taken out of the queue and refused, even while a write hangs; a transaction
 * runs on its own pool (`ds`) whose statement and query timeouts bound it. An entry inside a
 * transaction is answered by that transaction's outcome only, never by the deadline.
 */
export class AccessLogAppender implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('AccessLog');
  private queue: Pending[] = [];
  private flushing = false;
  private appended = 0;
  private failures = 0;
  private rejectedQueueFull = 0;
  private rejectedDeadline = 0;
  /** Set when a batch fails or an entry misses its deadline; cleared by a commit or a probe. */
  private failing = false;
  private lastCommitAt = 0;
  private probing = false;
  private closed = false;
  /**
   * The head this process's last group commit left, while no failure makes it uncertain: the next
   * batch follows it in one statement (insertSealedIfHeadOn) instead of a locked transaction.
   */
  private knownHead?: { seq: bigint; hash: string };
  private deadlineTimer?: NodeJS.Timeout;
  private probeTimer?: NodeJS.Timeout;
  /** Set by AccessLogMetrics when the application has a registry. */
  observer?: AppendObserver;

  /** `ds` is the appender's own pool (LOG_DATA_SOURCE); appendWithin uses the caller's transaction. */
  constructor(
    private readonly ds: DataSource,
    private readonly repo: AccessLogRepository,
    /** Consents withdrawn, read in the append's own transaction (the sync path's last check). */
    private readonly withdrawals: WithdrawalCheck,
    private readonly limits: AppendQueueLimits = DEFAULT_QUEUE_LIMITS,
  ) {}

  /** Entries made durable, batches that failed, entries refused (queue full, past deadline) since boot (metrics). */
  get stats(): { appended: number; failures: number; rejectedQueueFull: number; rejectedDeadline: number } {
    return {
      appended: this.appended,
      failures: this.failures,
      rejectedQueueFull: this.rejectedQueueFull,
      rejectedDeadline: this.rejectedDeadline,
    };
  }

  /** Entries waiting for a transaction (metrics). */
  get queued(): number {
    return this.queue.length;
  }

  /** False after a failed batch, a missed deadline or while the queue is full; true again after a commit (readiness). */
  get writable(): boolean {
    return !this.failing && this.queue.length < this.limits.queueMaxEntries;
  }

  /**
   * Seals and commits one entry; rejects with BrokerError(ACCESS_LOG_UNAVAILABLE) if it could not
   * be made durable, or with AccessEntryRejected before queueing when a field cannot be recorded
   * as it is. A DISCLOSED entry whose consent is withdrawn by then is sealed as a REFUSED
   * CONSENT_REVOKED one: the caller reads the resolved entry's outcome before answering.
   */
  append(entry: NewAccessEntry): Promise<AccessEntry> {
    if (!tracingEnabled()) return this.enqueue(entry);
    return inSpan(APPEND_SPAN, { [SPAN_ATTR.entries]: 1 }, () => this.enqueue(entry));
  }

  /** append's work: the entry joins the next group commit. */
  private enqueue(entry: NewAccessEntry): Promise<AccessEntry> {
    // checked before the entry joins a batch: one bad value must not fail the others' commit
    const rejected = this.rejection([entry]);
    if (rejected) return Promise.reject(rejected);
    if (this.queue.length >= this.limits.queueMaxEntries) {
      this.rejectedQueueFull++;
      return Promise.reject(unavailable());
    }
    return new Promise<AccessEntry>((resolve, reject) => {
      this.queue.push({
        entry: salted(entry),
        deadline: Date.now() + this.limits.deadlineMs,
        resolve,
        reject,
      });
      this.armDeadline();
      if (!this.flushing) void this.flush();
    });
  }

  /**
   * Seals and inserts `entries` inside the caller's open transaction `q`, so that they commit or
   * roll back together with the caller's own writes (a batch item is released in the same
   * transaction as its entry: never one without the other). The head row stays locked until
   * the caller commits: callers lock their own rows first and keep the transaction short.
   * An entry that cannot be recorded throws AccessEntryRejected before the head is locked.
   */
  appendWithin(q: QueryRunner, entries: readonly NewAccessEntry[]): Promise<AccessEntry[]> {
    if (!tracingEnabled() || entries.length === 0) return this.insertWithin(q, entries);
    return inSpan(APPEND_SPAN, { [SPAN_ATTR.entries]: entries.length }, () => this.insertWithin(q, entries));
  }

  /** appendWithin's work, in the caller's transaction. */
  private async insertWithin(q: QueryRunner, entries: readonly NewAccessEntry[]): Promise<AccessEntry[]> {
    if (entries.length === 0) return [];
    const rejected = this.rejection(entries);
    if (rejected) throw rejected;
    // everything but the entries' place is written before the head is locked
    const ready = entries.map((e) => prepareEntry(salted(e)));
    const head = await this.repo.lockHead(q);
    const sealed = sealPrepared(ready, head);
    for (let i = 0; i < sealed.length; i += INSERT_SLICE) {
      await this.repo.insertSealed(q, sealed.slice(i, i + INSERT_SLICE));
    }
    this.appended += sealed.length;
    return sealed;
  }

  /** The refusal of the first entry that cannot be recorded (its field named, never its value). */
  private rejection(entries: readonly NewAccessEntry[]): AccessEntryRejected | null {
    for (const e of entries) {
      const field = entryProblem(e);
      if (field) {
        this.logger.error(`access-log entry refused before sealing: ${field} is not a value the log accepts`);
        return new AccessEntryRejected(field);
      }
    }
    return null;
  }

  /** Starts the probe (in a Nest application; a bare instance probes only after a failure). */
  onModuleInit(): void {
    this.startProbe();
  }

  onModuleDestroy(): void {
    this.closed = true;
    clearTimeout(this.deadlineTimer);
    clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        // the connection first, entries after: waiting for it counts against each entry's
        // deadline, never against the transaction that answers it
        let client: PgClient;
        try {
          client = await pgPool(this.ds).connect();
        } catch (e) {
          // none of the waiting entries was sent anywhere: refusing them all is exact
          this.fail(this.queue.splice(0), e);
          continue;
        }
        this.expire();
        const batch = this.queue.splice(0, MAX_BATCH);
        if (batch.length === 0) {
          client.release();
          continue;
        }
        try {
          const sealed = await this.writeBatch(
            client,
            batch.map((p) => p.entry),
          );
          this.appended += sealed.length;
          this.recovered();
          batch.forEach((p, i) => p.resolve(sealed[i]));
          this.observe(batch);
        } catch (e) {
          this.fail(batch, e);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /**
   * One group commit on `client`, a connection of the appender's pool used as node-postgres
   * gives it (no TypeORM QueryRunner on this path), the parametrised statements prepared once per
   * connection. First the withdrawal read (its own statement: under READ COMMITTED every statement
   * reads what was committed when it starts, in a transaction or not), outside the head lock;
   * then, when this process knows the head its last commit left, one statement that inserts the
   * entries and moves the head only if the head is still that one (two round trips in all). When
   * the head is unknown (the first batch, after a failure) or another writer moved it: the locked
   * transaction of docs/adr/0002 (BEGIN, head FOR UPDATE, insert and head move, COMMIT).
   * Every statement is bounded by the pool's statement and query timeouts; after a client-side
   * failure (no answer) the connection is closed, not rolled back: a ROLLBACK would queue behind
   * the unanswered statement, and the server rolls back a transaction whose connection is gone
   * (or ends it at idle_in_transaction_session_timeout).
   */
  private async writeBatch(client: PgClient, entries: NewAccessEntry[]): Promise<AccessEntry[]> {
    let failure: unknown;
    let open = false;
    const known = this.knownHead;
    // set again only by a commit whose answer came
    this.knownHead = undefined;
    try {
      // before the head lock, not under it: a consent withdrawn while the register answered
      // turns its disclosure into a CONSENT_REVOKED refusal, which the caller then answers
      const checked = await refuseWithdrawn(pgRunner(client), this.withdrawals, entries);
      // the documents too, but for each entry's seq and prevHash: sealing is then one SHA-256
      // per entry, and the insert and the head's move one statement (docs/adr/0010)
      const prepared = checked.map(prepareEntry);
      if (known) {
        const sealed = sealPrepared(prepared, known);
        if (await this.repo.insertSealedIfHeadOn(client, sealed, known)) {
          this.knownHead = lastHead(sealed);
          return sealed;
        }
      }
      await client.query({ text: 'BEGIN ISOLATION LEVEL READ COMMITTED' });
      open = true;
      const head = await this.repo.lockHeadOn(client);
      const sealed = sealPrepared(prepared, head);
      await this.repo.insertSealedOn(client, sealed);
      await client.query({ text: 'COMMIT' });
      open = false;
      this.knownHead = lastHead(sealed);
      return sealed;
    } catch (e) {
      failure = e;
      // a server error (a SQLSTATE) leaves the connection usable: roll back and keep it
      if (sqlState(e) && open) await client.query({ text: 'ROLLBACK' }).catch(() => undefined);
      throw e;
    } finally {
      releasePgClient(client, failure);
    }
  }

  /** Each entry's wait and commit, and the group's size: the deadline already holds when it was queued. */
  private observe(batch: readonly Pending[]): void {
    const o = this.observer;
    if (!o) return;
    const now = Date.now();
    o.groupSize(batch.length);
    for (const p of batch) o.appendSeconds((now - (p.deadline - this.limits.deadlineMs)) / 1000);
  }

  /**
   * Refuses `batch`. When a COMMIT's answer never came the entries may be durable: they are
   * refused all the same (nothing is disclosed), so the log may name an answer that was not
   * sent, never the reverse.
   */
  private fail(batch: Pending[], e: unknown): void {
    if (batch.length === 0) return;
    this.failures++;
    this.markFailing();
    this.logger.error(`access-log append failed for ${batch.length} entries: ${(e as Error).message}`);
    const err = unavailable();
    batch.forEach((p) => p.reject(err));
  }

  /** Takes the entries past their deadline out of the queue (so that they are never written) and refuses them. */
  private expire(): void {
    const now = Date.now();
    let n = 0;
    while (n < this.queue.length && this.queue[n].deadline <= now) n++;
    if (n === 0) return;
    const late = this.queue.splice(0, n);
    this.rejectedDeadline += late.length;
    this.markFailing();
    const err = unavailable();
    late.forEach((p) => p.reject(err));
  }

  /** One timer, at the oldest entry's deadline (entries queue in deadline order). */
  private armDeadline(): void {
    if (this.deadlineTimer || this.queue.length === 0) return;
    const wait = Math.max(0, this.queue[0].deadline - Date.now());
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = undefined;
      this.expire();
      this.armDeadline();
    }, wait);
    this.deadlineTimer.unref();
  }

  private markFailing(): void {
    this.failing = true;
    this.startProbe();
  }

  private recovered(): void {
    this.failing = false;
    this.lastCommitAt = Date.now();
  }

  private startProbe(): void {
    if (this.probeTimer || this.closed) return;
    this.probeTimer = setInterval(() => void this.probe(), PROBE_INTERVAL_MS);
    this.probeTimer.unref();
  }

  /**
   * When idle and no commit is recent: one read of the head on the appender's pool. No answer
   * within the append deadline means an append would be refused now: not writable; an answer
   * means writable again.
   */
  private async probe(): Promise<void> {
    if (this.probing || this.flushing || this.queue.length > 0) return;
    if (!this.failing && Date.now() - this.lastCommitAt < PROBE_INTERVAL_MS) return;
    this.probing = true;
    const verdict = setTimeout(() => (this.failing = true), this.limits.deadlineMs);
    verdict.unref();
    let failure: unknown;
    let q: QueryRunner | undefined;
    try {
      q = this.ds.createQueryRunner();
      await q.connect();
      await this.repo.head(q);
      this.recovered();
    } catch (e) {
      failure = e;
      this.failing = true;
    } finally {
      clearTimeout(verdict);
      if (q) await releaseQueryRunner(q, failure);
      this.probing = false;
    }
  }
}
