import { Logger } from '@nestjs/common';
import type { DataSource, QueryRunner } from 'typeorm';
import { BrokerError, ErrorCode } from '@broker/errors';
import type { AccessEntry, NewAccessEntry } from './access-entry';
import { sealEntries } from './access-chain';
import { AccessEntryRejected, entryProblem } from './entry-strings';
import type { AccessLogRepository } from './access-log.repository';
import { refuseWithdrawn, type WithdrawalCheck } from './withdrawal-check';

interface Pending {
  entry: NewAccessEntry;
  resolve: (e: AccessEntry) => void;
  reject: (e: unknown) => void;
}

/** Most entries sealed in one transaction. */
const MAX_BATCH = 200;
/** Most entries in one INSERT (PostgreSQL allows 65,535 parameters per statement). */
const INSERT_SLICE = 1000;

/**
 * Appends entries to the hash chain and resolves only once they are committed.
 *
 * Group commit: while one transaction is in flight, new entries wait and go together in the
 * next one, so the head lock and the commit's fsync are paid once per batch rather than per
 * request. Across processes, the `FOR UPDATE` lock on access_log_head gives one order.
 */
export class AccessLogAppender {
  private readonly logger = new Logger('AccessLog');
  private queue: Pending[] = [];
  private flushing = false;
  private appended = 0;
  private failures = 0;

  constructor(
    private readonly ds: DataSource,
    private readonly repo: AccessLogRepository,
    /** Consents withdrawn, read in the append's own transaction (the sync path's last check). */
    private readonly withdrawals: WithdrawalCheck,
    private readonly statementTimeoutMs = 5000,
  ) {}

  /** Entries made durable / batches that failed since boot (metrics). */
  get stats(): { appended: number; failures: number } {
    return { appended: this.appended, failures: this.failures };
  }

  /** False while appends fail or the queue is saturated (readiness turns not-ready). */
  get writable(): boolean {
    return true;
  }

  /**
   * Seals and commits one entry; rejects with BrokerError(ACCESS_LOG_UNAVAILABLE) if it could not
   * be made durable, or with AccessEntryRejected before queueing when a field cannot be recorded
   * as it is. A DISCLOSED entry whose consent is withdrawn by then is sealed as a REFUSED
   * CONSENT_REVOKED one: the caller reads the resolved entry's outcome before answering.
   */
  append(entry: NewAccessEntry): Promise<AccessEntry> {
    // checked before the entry joins a batch: one bad value must not fail the others' commit
    const rejected = this.rejection([entry]);
    if (rejected) return Promise.reject(rejected);
    return new Promise<AccessEntry>((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
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
  async appendWithin(q: QueryRunner, entries: readonly NewAccessEntry[]): Promise<AccessEntry[]> {
    if (entries.length === 0) return [];
    const rejected = this.rejection(entries);
    if (rejected) throw rejected;
    const head = await this.repo.lockHead(q);
    const sealed = sealEntries(entries, head);
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

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH);
        try {
          const sealed = await this.writeBatch(batch.map((p) => p.entry));
          this.appended += sealed.length;
          batch.forEach((p, i) => p.resolve(sealed[i]));
        } catch (e) {
          this.failures++;
          this.logger.error(`access-log append failed for ${batch.length} entries: ${(e as Error).message}`);
          const err = new BrokerError(
            ErrorCode.ACCESS_LOG_UNAVAILABLE,
            'The access log could not be written; nothing was disclosed.',
          );
          batch.forEach((p) => p.reject(err));
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async writeBatch(entries: NewAccessEntry[]): Promise<AccessEntry[]> {
    const q = this.ds.createQueryRunner();
    try {
      await q.connect();
      await q.startTransaction('READ COMMITTED');
      await q.query(`SET LOCAL statement_timeout = ${Math.floor(this.statementTimeoutMs)}`);
      // before the head lock, not under it: a consent withdrawn while the register answered
      // turns its disclosure into a CONSENT_REVOKED refusal, which the caller then answers
      const checked = await refuseWithdrawn(q, this.withdrawals, entries);
      const head = await this.repo.lockHead(q);
      const sealed = sealEntries(checked, head);
      await this.repo.insertSealed(q, sealed);
      await q.commitTransaction();
      return sealed;
    } catch (e) {
      if (q.isTransactionActive) await q.rollbackTransaction().catch(() => undefined);
      throw e;
    } finally {
      await q.release();
    }
  }
}
