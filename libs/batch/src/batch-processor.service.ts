import { Inject, Injectable, Logger } from '@nestjs/common';
import type { DataSource, QueryRunner } from 'typeorm';
import { AccessLogAppender, accessEntry, consentKey, type NewAccessEntry } from '@broker/access-log';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { CONSENT_REVOCATIONS, type ConsentRevocations } from '@broker/consent';
import { DATA_SOURCE, withTransaction } from '@broker/database';
import { SOURCE_REGISTRY, type DataItem } from '@broker/data-items';
import { assertDisclosureAllowed } from '@broker/disclosure';
import { BrokerError, ErrorCode } from '@broker/errors';
import { NoSourceAnswered, PersonSourcesService, type SourceFailure } from '@broker/sources';
import { annotateActiveSpan, SPAN_ATTR } from '@broker/telemetry';
import { TRUST_REGISTRY, type TrustRegistry } from '@broker/trust';
import { jobItemContext } from './batch-access-context';
import { BatchRepository, type ItemSettlement, type PendingItem, type StoredJob } from './batch.repository';
import type { BatchState } from './batch.types';
import { toConsent } from './stored-consent';
import { ResultsCipher, resultAad } from './results-cipher';

/**
 * Source reads in flight at once in one process, whatever the number of chunks it runs: the
 * register also serves the synchronous path, and a batch must not queue ahead of it there
 * (32 reads in flight per worker made the synchronous p99 several times its idle value).
 */
const SOURCE_READS_IN_FLIGHT = 8;

export interface ChunkOutcome {
  /** Items settled in this round (released, refused or failed). */
  settled: number;
  /** Items left pending because the source failed (to be retried). */
  retry: number;
  /** The last source failure, when `retry` > 0. */
  reason?: string;
  /** Items dead-lettered (FAILED) in this round. */
  deadLettered?: number;
  /** The job's new state when this round settled its last item. */
  finished?: BatchState;
}

/** Raised to the queue when items of a chunk wait for the source: the queue retries with backoff. */
export class ChunkRetry extends Error {
  constructor(readonly outcome: ChunkOutcome) {
    super(`${outcome.retry} items wait for the source: ${outcome.reason ?? 'unavailable'}`);
    this.name = 'ChunkRetry';
  }
}

/**
 * Processes one chunk of a batch job, the same code whether BullMQ or the in-process runner
 * calls it. The checks made at submission are repeated (a consent may have expired or been
 * withdrawn meanwhile, the member's grant may have changed), then only the job's data items are
 * read, from whichever sources hold them. Each item is settled in one PostgreSQL transaction
 * together with its access-log entry, after locking the item row while it is still PENDING: a
 * chunk run twice (a worker killed, a queue replayed after a Redis loss) releases nothing twice.
 * An item one of whose sources failed stays PENDING and its chunk's retry reads it alone, the
 * items already settled being no longer pending. The entries are built in the access context the
 * job carries as data (jobItemContext).
 */
@Injectable()
export class BatchProcessorService {
  private readonly logger = new Logger('BatchProcessor');
  private readonly sourceReads = new Limiter(SOURCE_READS_IN_FLIGHT);

  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(BatchRepository) private readonly repo: BatchRepository,
    @Inject(TRUST_REGISTRY) private readonly trust: TrustRegistry,
    @Inject(PersonSourcesService) private readonly sources: PersonSourcesService,
    @Inject(AccessLogAppender) private readonly log: AccessLogAppender,
    @Inject(ResultsCipher) private readonly cipher: ResultsCipher,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
    @Inject(CONSENT_REVOCATIONS) private readonly revocations: ConsentRevocations,
  ) {}

  /**
   * Runs chunk `chunk` of job `jobId`. `lastAttempt`: the queue will not retry this chunk, so
   * items the source still fails are dead-lettered (FAILED with the reason) now.
   */
  async processChunk(jobId: string, chunk: number, lastAttempt: boolean): Promise<ChunkOutcome> {
    const job = await this.repo.findJob(jobId);
    if (!job || job.state === 'COMPLETED' || job.state === 'FAILED') return { settled: 0, retry: 0 };
    annotateActiveSpan({ [SPAN_ATTR.correlationId]: job.correlationId, [SPAN_ATTR.memberId]: job.memberId });
    const from = chunk * job.chunkSize;
    const pending = await this.repo.pendingItems(jobId, from, from + job.chunkSize);
    let decided: Pending[] = [];
    if (pending.length > 0) {
      if (job.state === 'QUEUED') await this.repo.markRunning(jobId);
      decided = await this.decideAndFetch(job, pending, lastAttempt);
      await this.commit(job, decided);
    }
    // after the commit, not inside it: two chunks settling at once would each see the other's
    // items still pending in their own transaction (the UPDATE lets exactly one caller settle the job)
    const finished = (await this.repo.finishIfDone(jobId, this.config.batchRetentionS)) ?? undefined;
    const retry = decided.filter((d) => d.state === 'PENDING');
    const dead = decided.filter((d) => d.state === 'FAILED');
    const first = retry[0] ?? dead[0];
    return {
      settled: decided.length - retry.length,
      retry: retry.length,
      deadLettered: dead.length,
      finished,
      reason: first && 'message' in first ? first.message : undefined,
    };
  }

  private async decideAndFetch(
    job: StoredJob,
    pending: PendingItem[],
    lastAttempt: boolean,
  ): Promise<Pending[]> {
    const member = this.trust.member(job.memberId);
    // a consent withdrawn since submission is refused now (CONSENT_REVOKED), like on the sync path
    const revoked = await this.revocations.revokedAmong(pending.map((p) => p.consent));
    const now = Date.now() / 1000;
    const out: Pending[] = [];
    const toFetch: PendingItem[] = [];
    for (const p of pending) {
      try {
        if (!member)
          throw new BrokerError(ErrorCode.FORBIDDEN, 'The administration is no longer registered.');
        if (revoked.has(consentKey(p.consent)))
          throw new BrokerError(ErrorCode.CONSENT_REVOKED, 'The consent was withdrawn.');
        if (p.consent.exp < now - this.config.clockToleranceS)
          throw new BrokerError(
            ErrorCode.CONSENT_EXPIRED,
            'The consent expired before the data was released.',
          );
        assertDisclosureAllowed(member, toConsent(p.consent), p.matricule, job.items);
        toFetch.push(p);
      } catch (e) {
        const err = e instanceof BrokerError ? e : new BrokerError(ErrorCode.INTERNAL_ERROR);
        out.push({ item: p, state: 'REFUSED', code: err.code, message: err.message, sources: null });
      }
    }
    let next = 0;
    const run = async (): Promise<void> => {
      while (next < toFetch.length) {
        const p = toFetch[next++];
        out.push(await this.fetchOne(job, p, lastAttempt));
      }
    };
    await Promise.all(Array.from({ length: Math.min(SOURCE_READS_IN_FLIGHT, toFetch.length) }, run));
    return out;
  }

  /**
   * Reads one item from every source its job's items need. A batch item is all or nothing: one
   * of its sources failing keeps the whole item pending, to be retried alone (with every source
   * again), so that a result is never released in part nor twice. On its last attempt, or at once
   * when the register's answer would not change on a retry, it is dead-lettered (FAILED) and its
   * entry names the items that failed.
   */
  private async fetchOne(job: StoredJob, p: PendingItem, lastAttempt: boolean): Promise<Pending> {
    try {
      const read = await this.sourceReads.run(() => this.sources.read(p.matricule, job.items));
      if (read.failures.length) throw new NoSourceAnswered(read.failures);
      const sealed = this.cipher.seal(
        Buffer.from(JSON.stringify(read.values), 'utf8'),
        resultAad(job.id, p.index),
      );
      return { item: p, state: 'RELEASED', result: sealed, sources: read.sources };
    } catch (e) {
      if (e instanceof BrokerError && e.code === ErrorCode.PERSON_NOT_FOUND) {
        const source = e.details?.source as string | undefined;
        return {
          item: p,
          state: 'REFUSED',
          code: e.code,
          message: e.message,
          sources: source ? [source] : asked(job.items),
        };
      }
      // adapters throw coded errors only: anything else is a defect, whose text is not for the member
      if (!(e instanceof BrokerError))
        this.logger.error(
          `job ${job.id} item ${p.index}: unexpected failure: ${(e as Error).stack ?? String(e)}`,
        );
      const message = e instanceof BrokerError ? e.message : 'The item could not be processed.';
      const repeated = e instanceof NoSourceAnswered && e.failures.some(answerRepeats);
      if (!repeated && !lastAttempt && p.attempts + 1 < this.config.batchMaxAttempts)
        return { item: p, state: 'PENDING', message };
      return {
        item: p,
        state: 'FAILED',
        code: e instanceof BrokerError ? ErrorCode.SOURCE_UNAVAILABLE : ErrorCode.INTERNAL_ERROR,
        message: repeated
          ? `dead-lettered: the register's answer would be the same on a retry: ${message}`
          : `dead-lettered after ${p.attempts + 1} attempts: ${message}`,
        sources: asked(job.items),
        failed: e instanceof NoSourceAnswered ? (e.failures.flatMap((f) => f.items) as DataItem[]) : [],
      };
    }
  }

  /** One transaction: lock the items still pending, settle them, then append their entries. */
  private async commit(job: StoredJob, decided: Pending[]): Promise<void> {
    const mine = await withTransaction(this.ds, async (q) => {
      const still = await this.repo.lockPending(
        q,
        job.id,
        decided.map((d) => d.item.index),
      );
      const mine = await this.refuseWithdrawn(
        q,
        decided.filter((d) => still.has(d.item.index)),
      );
      const final = mine.filter((d): d is Settled => d.state !== 'PENDING');
      // our own rows first (results, refusals, attempts, counters); the chain head is locked
      // last, inside appendWithin, for the entries' insert and the commit only
      await this.repo.applySettlements(
        q,
        job.id,
        mine.map((d): ItemSettlement => {
          if (d.state === 'PENDING')
            return { index: d.item.index, state: 'PENDING', message: d.message.slice(0, 500) };
          return d.state === 'RELEASED'
            ? { index: d.item.index, state: 'RELEASED', result: d.result }
            : { index: d.item.index, state: d.state, code: d.code, message: d.message.slice(0, 500) };
        }),
      );
      const occurredAt = new Date();
      const sealed = await this.log.appendWithin(
        q,
        final.map((d) => this.entry(job, d, occurredAt)),
      );
      // the back-reference to each entry, in one statement bounded by the chunk (see BatchSubmissionService)
      await this.repo.setLogSeqs(
        q,
        job.id,
        final.map((d, i) => ({ index: d.item.index, seq: sealed[i].seq })),
      );
      return mine;
    });
    if (mine.length < decided.length) {
      this.logger.debug(`job ${job.id}: ${decided.length - mine.length} items were settled by another run`);
    }
  }

  /**
   * Read in the release's transaction, before the head lock: an item whose consent was withdrawn
   * while the source answered is refused (CONSENT_REVOKED, logged, no result kept), not released.
   */
  private async refuseWithdrawn(q: QueryRunner, decided: Pending[]): Promise<Pending[]> {
    const released = decided.filter((d) => d.state === 'RELEASED');
    if (released.length === 0) return decided;
    const withdrawn = await this.revocations.withdrawnAmong(
      q,
      released.map((d) => d.item.consent),
    );
    return decided.map((d) =>
      d.state === 'RELEASED' && withdrawn.has(consentKey(d.item.consent))
        ? {
            item: d.item,
            state: 'REFUSED',
            code: ErrorCode.CONSENT_REVOKED,
            message: 'The consent was withdrawn before the data was released.',
            sources: d.sources,
          }
        : d,
    );
  }

  /** The item's entry, built in the context the job carries (its member, correlation id, itself) with the item's consent. */
  private entry(job: StoredJob, d: Settled, occurredAt: Date): NewAccessEntry {
    const released = d.state === 'RELEASED';
    return accessEntry(jobItemContext(job, d.item.consent), {
      occurredAt,
      subject: d.item.matricule,
      itemsRequested: job.items,
      outcome: released ? 'DISCLOSED' : 'REFUSED',
      reasonCode: released ? null : d.code,
      sources: d.sources,
      itemsFailed: released ? [] : (d.failed ?? []),
    });
  }
}

/** The sources a job's items are read from, in catalogue order. */
function asked(items: readonly DataItem[]): string[] {
  return SOURCE_REGISTRY.plan(items).map((s) => s.source);
}

/**
 * Register answers that a retry would repeat (the adapters do not retry them either): a person
 * the register does not know, a request it refuses. Retrying the item would only delay its job.
 */
const REPEATED_PROBLEMS: ReadonlySet<unknown> = new Set(['unknown-person', 'refused']);

function answerRepeats(f: SourceFailure): boolean {
  return REPEATED_PROBLEMS.has(f.error.details?.problem);
}

type Pending =
  | {
      item: PendingItem;
      state: 'RELEASED';
      result: Buffer;
      /** The sources read. */
      sources: string[];
    }
  | {
      item: PendingItem;
      state: 'REFUSED' | 'FAILED';
      code: ErrorCode;
      message: string;
      /** The sources asked before the refusal (null: refused before any was). */
      sources: string[] | null;
      failed?: DataItem[];
    }
  | { item: PendingItem; state: 'PENDING'; message: string };

/** An item settled in this round (released, refused or dead-lettered). */
type Settled = Exclude<Pending, { state: 'PENDING' }>;

/** Runs at most `max` tasks at once; the others wait their turn, first come first served. */
class Limiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}
