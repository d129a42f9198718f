import { createHash, randomUUID } from 'node:crypto';
import { setImmediate as yieldToEventLoop, setTimeout as pause } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import {
  AccessLogAppender,
  accessEntry,
  isLogIdentifier,
  isLogText,
  type NewAccessEntry,
} from '@broker/access-log';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { ConsentVerifierService, type Consent } from '@broker/consent';
import { DATA_SOURCE, withTransaction } from '@broker/database';
import { normaliseItems, type DataItem } from '@broker/data-items';
import { assertDisclosureAllowed } from '@broker/disclosure';
import { BrokerError, ErrorCode, isBrokerError } from '@broker/errors';
import { memberQuota } from '@broker/quota';
import { checkMatricule } from '@broker/matricule';
import type { Member } from '@broker/trust';
import { jobItemContext, type BatchAccessContext, type JobContextRef } from './batch-access-context';
import { BatchRepository, type StoredJob } from './batch.repository';
import type { BatchSubmission, StoredConsent } from './batch.types';
import { storedConsent } from './stored-consent';
import { CHUNK_DISPATCHER, type ChunkDispatcher } from './chunk-dispatcher';

const MAX_IDEMPOTENCY_KEY = 200;
/** Items handled between two yields to the event loop (about 10 ms of work on this machine). */
const SLICE = 250;
/** Longest pause between two slices of consent verification. */
const MAX_PAUSE_MS = 100;
/**
 * Retry-After of a concurrentJobs refusal: when a job ends is not known in advance, so a hint
 * in the order of a small job's run (a member notified by batchCallbackUrl may resubmit then).
 */
const JOB_RETRY_AFTER_S = 10;

/** The decision on one request at submission: queued, or refused with its code at once. */
type Decision =
  | { state: 'PENDING'; matricule: string; consent: StoredConsent }
  | {
      state: 'REFUSED';
      matricule: string;
      subject: string | null;
      consent: Partial<StoredConsent> | null;
      code: ErrorCode;
      message: string;
    };

/**
 * Accepts a member's batch: checks every request now (matricule, consent, scope, grant) so
 * that a bad one is refused and logged at once and never queued; stores the job and its items
 * in PostgreSQL (the truth) in one transaction with the refusals' log entries; then hands the
 * chunks that hold pending items to the dispatcher. Resubmitting with the same idempotency key
 * returns the same job and logs nothing more.
 */
@Injectable()
export class BatchSubmissionService {
  private readonly logger = new Logger('BatchSubmission');

  constructor(
    @Inject(DATA_SOURCE) private readonly ds: DataSource,
    @Inject(BatchRepository) private readonly repo: BatchRepository,
    @Inject(ConsentVerifierService) private readonly consents: ConsentVerifierService,
    @Inject(AccessLogAppender) private readonly log: AccessLogAppender,
    @Inject(CHUNK_DISPATCHER) private readonly dispatcher: ChunkDispatcher,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  /** Accepts `input` for the member of `ctx` (see the class comment); throws a coded BrokerError when the batch as a whole is refused. */
  async submit(ctx: BatchAccessContext, input: BatchSubmission): Promise<StoredJob> {
    const { member } = ctx;
    const n = input.requests.length;
    if (n === 0 || n > this.config.batchMaxItems) {
      throw new BrokerError(
        ErrorCode.BATCH_TOO_LARGE,
        `A batch holds 1 to ${this.config.batchMaxItems} requests; this one has ${n}.`,
        { max: this.config.batchMaxItems, got: n },
      );
    }
    const items = normaliseItems(input.items);
    if (items.length === 0)
      throw new BrokerError(ErrorCode.BAD_REQUEST, 'items must name at least one data item.');
    const key = input.idempotencyKey ?? null;
    if (key !== null && (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY)) {
      throw new BrokerError(
        ErrorCode.BAD_REQUEST,
        `idempotencyKey must be 1 to ${MAX_IDEMPOTENCY_KEY} characters.`,
      );
    }
    // stored with the job and compared with each consent's: the access log's identifier rules
    if (!isLogIdentifier(input.purpose) || (key !== null && !isLogText(key)))
      throw new BrokerError(
        ErrorCode.BAD_REQUEST,
        'purpose or idempotencyKey has a character that is not accepted.',
      );
    // A 10,000-item submission is several seconds of work on the gateway's one event loop, which
    // the synchronous path shares: every step below yields to it at least every SLICE items, so
    // no synchronous request waits behind more than a slice (docs/benchmarks.md).
    await yieldToEventLoop();
    const requestHash = await hashRequest(input.purpose, items, input);
    if (key !== null) {
      // before verifying thousands of signatures: a resubmission answers at once
      const existing = await this.repo.findByIdempotencyKey(undefined, member.id, key);
      if (existing) return this.sameOrConflict(existing, requestHash);
    }

    const occurredAt = new Date();
    // consents verified by slices (one ledger write and one withdrawal query each), paced: after
    // a slice the batch waits as long as the slice took, so it never takes more than about half
    // of the gateway's time from the synchronous requests it serves meanwhile
    const decisions: Decision[] = [];
    for (let i = 0; i < n; i += SLICE) {
      const started = performance.now();
      const slice = input.requests.slice(i, i + SLICE);
      const verified = await this.consents.verifyMany(slice.map((r) => r.consentToken));
      slice.forEach((r, j) => decisions.push(this.decide(member, input.purpose, items, r, verified[j])));
      await pause(Math.min(MAX_PAUSE_MS, performance.now() - started));
    }

    // the context the job carries as data: its workers rebuild each item's from the job row
    const job: JobContextRef = { id: randomUUID(), memberId: member.id, correlationId: ctx.correlationId };
    const refusedCount = decisions.filter((d) => d.state === 'REFUSED').length;
    let existing: StoredJob | null;
    try {
      existing = await withTransaction(this.ds, async (q) => {
        await this.repo.lockMember(q, member.id);
        if (key !== null) {
          const found = await this.repo.findByIdempotencyKey(q, member.id, key);
          if (found) return found;
        }
        const open = await this.repo.countOpenJobs(q, member.id);
        if (open >= this.config.batchMaxInFlight) {
          throw new BrokerError(
            ErrorCode.TOO_MANY_JOBS,
            `Your administration already has ${open} batch jobs queued or running (the limit is ${this.config.batchMaxInFlight}).`,
            { limit: this.config.batchMaxInFlight },
          );
        }
        // the member's own quota, under the same lock: the advisory lock serialises every
        // submission of this member across gateways, and the count is of PostgreSQL's job rows
        // (the truth), so two racing submissions cannot both pass and nothing has to be given
        // back when a job ends or a worker dies (a Redis counter would need both)
        const quota = memberQuota(member, this.config.quota).concurrentJobs;
        if (open >= quota) {
          throw new BrokerError(
            ErrorCode.RATE_LIMITED,
            `Your administration already has ${open} batch jobs queued or running (its quota is ${quota}); retry after one ends.`,
            { retryAfterSeconds: JOB_RETRY_AFTER_S, quota: 'concurrentJobs', limit: quota },
          );
        }
        await this.repo.insertJob(q, {
          id: job.id,
          memberId: job.memberId,
          purpose: input.purpose,
          items,
          idempotencyKey: key,
          requestHash,
          total: n,
          refused: refusedCount,
          chunkSize: this.config.batchChunkSize,
          correlationId: job.correlationId,
          completed: refusedCount === n,
          retentionS: this.config.batchRetentionS,
        });
        // our own rows first (the item rows of a batch are up to 10,000); the chain head is
        // locked last, inside appendWithin, for the refusals' entries and the commit only
        await this.repo.insertItems(
          q,
          job.id,
          decisions.map((d, index) => ({
            index,
            matricule: d.matricule,
            state: d.state,
            consent: d.consent,
            errorCode: d.state === 'REFUSED' ? d.code : null,
            errorMessage: d.state === 'REFUSED' ? d.message : null,
          })),
        );
        // refusals are logged in the same transaction as the job: none without its entry
        const refusals = decisions
          .map((d, index) => ({ d, index }))
          .filter(
            (x): x is { d: Extract<Decision, { state: 'REFUSED' }>; index: number } =>
              x.d.state === 'REFUSED',
          );
        const sealed = await this.log.appendWithin(
          q,
          refusals.map(({ d }) => refusalEntry(job, occurredAt, items, d)),
        );
        // batch_item.log_seq only points back at the entry (nothing decides on it); an entry's seq
        // exists only once the head is locked, so it is written here, in one statement over the
        // refused items alone, rather than holding the head while every item row is inserted
        await this.repo.setLogSeqs(
          q,
          job.id,
          refusals.map((r, i) => ({ index: r.index, seq: sealed[i].seq })),
        );
        return null;
      });
    } catch (e) {
      if (isBrokerError(e, ErrorCode.RATE_LIMITED))
        await this.logRateLimited(ctx, input.purpose, items, occurredAt);
      if (e instanceof BrokerError) throw e;
      if ((e as { code?: string }).code === '23505' && key !== null) {
        // a concurrent submission with the same key won the race: answer with its job
        const found = await this.repo.findByIdempotencyKey(undefined, member.id, key);
        if (found) return this.sameOrConflict(found, requestHash);
      }
      this.logger.error(`batch submission failed: ${(e as Error).message}`);
      throw new BrokerError(
        ErrorCode.ACCESS_LOG_UNAVAILABLE,
        'The batch could not be stored; nothing was queued.',
      );
    }
    // a resubmission that raced the first check: the transaction wrote nothing
    if (existing) return this.sameOrConflict(existing, requestHash);

    const chunks = new Set<number>();
    decisions.forEach((d, i) => {
      if (d.state === 'PENDING') chunks.add(Math.floor(i / this.config.batchChunkSize));
    });
    // the job is safe in PostgreSQL: if Redis does not take the chunks now, the reconciler will
    await this.dispatcher
      .enqueue(job.id, [...chunks])
      .catch((e: Error) =>
        this.logger.warn(
          `job ${job.id}: chunks not queued yet (${e.message}); the reconciler will queue them`,
        ),
      );
    const stored = await this.repo.findJob(job.id);
    if (!stored) throw new BrokerError(ErrorCode.INTERNAL_ERROR);
    return stored;
  }

  /**
   * A quota refusal is an authenticated refusal: one entry for the whole submission (no job was
   * made, no subject is named), like the synchronous path's RATE_LIMITED.
   */
  private async logRateLimited(
    ctx: BatchAccessContext,
    purpose: string,
    items: DataItem[],
    occurredAt: Date,
  ): Promise<void> {
    await this.log.append(
      accessEntry(
        { ...ctx, purpose },
        {
          occurredAt,
          subject: null,
          itemsRequested: items,
          outcome: 'REFUSED',
          reasonCode: ErrorCode.RATE_LIMITED,
        },
      ),
    );
  }

  private sameOrConflict(existing: StoredJob, requestHash: string): StoredJob {
    if (existing.requestHash !== requestHash) {
      throw new BrokerError(
        ErrorCode.IDEMPOTENCY_CONFLICT,
        'This idempotencyKey was already used for a different batch.',
        { jobId: existing.id },
      );
    }
    return existing;
  }

  private decide(
    member: Member,
    purpose: string,
    items: DataItem[],
    r: { matricule: unknown },
    verified: Consent | BrokerError,
  ): Decision {
    const raw = typeof r.matricule === 'string' ? r.matricule : String(r.matricule ?? '');
    const checked = checkMatricule(r.matricule);
    if (!checked.valid) {
      return {
        state: 'REFUSED',
        matricule: raw.slice(0, 64),
        subject: null,
        consent: null,
        code: ErrorCode.INVALID_MATRICULE,
        message: 'The matricule is not a valid national identification number.',
      };
    }
    const subject = checked.matricule;
    const consent = verified instanceof BrokerError ? undefined : verified;
    try {
      if (verified instanceof BrokerError) throw verified;
      if (verified.purpose !== purpose) {
        throw new BrokerError(
          ErrorCode.PURPOSE_NOT_ALLOWED,
          "The consent's purpose is not the batch's purpose.",
        );
      }
      assertDisclosureAllowed(member, verified, subject, items);
      return { state: 'PENDING', matricule: subject, consent: storedConsent(verified) };
    } catch (e) {
      if (!(e instanceof BrokerError)) throw e;
      // an expired or withdrawn consent is authentic: its issuer, jti and purpose belong in the entry
      const known = consent
        ? storedConsent(consent)
        : 'consent' in e
          ? (e as BrokerError & { consent: Partial<StoredConsent> }).consent
          : null;
      return {
        state: 'REFUSED',
        matricule: subject,
        subject,
        consent: known,
        code: e.code,
        message: e.message,
      };
    }
  }
}

/** The entry of a request refused at submission, in the context of its job and with its consent when authentic. */
function refusalEntry(
  job: JobContextRef,
  occurredAt: Date,
  items: DataItem[],
  d: Extract<Decision, { state: 'REFUSED' }>,
): NewAccessEntry {
  return accessEntry(jobItemContext(job, d.consent), {
    occurredAt,
    subject: d.subject,
    itemsRequested: items,
    outcome: 'REFUSED',
    reasonCode: d.code,
  });
}

/** SHA-256 of what makes two submissions the same batch (idempotency), yielding between slices. */
export async function hashRequest(
  purpose: string,
  items: readonly DataItem[],
  input: Pick<BatchSubmission, 'requests'>,
): Promise<string> {
  const h = createHash('sha256');
  h.update(JSON.stringify([purpose, [...items].sort()]));
  for (let i = 0; i < input.requests.length; i += SLICE) {
    if (i > 0) await yieldToEventLoop();
    const slice = input.requests.slice(i, i + SLICE);
    h.update(slice.map((r) => JSON.stringify([String(r.matricule), r.consentToken])).join(''));
  }
  return h.digest('hex');
}
