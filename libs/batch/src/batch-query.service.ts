import { Inject, Injectable, Logger } from '@nestjs/common';
import { BrokerError, ErrorCode } from '@broker/errors';
import type { BatchAccessContext } from './batch-access-context';
import { BatchRepository, PURGED_MESSAGE, type StoredJob } from './batch.repository';
import type { BatchResultView } from './batch.types';
import { ResultsCipher, resultAad } from './results-cipher';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Most results in one page. */
export const MAX_RESULTS_PAGE = 1000;

/**
 * Reads a job and its results for the member that submitted it. Anyone else, a malformed id,
 * a purged job: the same NOT_FOUND, so that a job id reveals nothing. Results are decrypted
 * here, per page; PostgreSQL only holds ciphertexts.
 */
@Injectable()
export class BatchQueryService {
  private readonly logger = new Logger('BatchQuery');

  constructor(
    @Inject(BatchRepository) private readonly repo: BatchRepository,
    @Inject(ResultsCipher) private readonly cipher: ResultsCipher,
  ) {}

  /** The job `id` if the member of `ctx` submitted it. */
  async job(ctx: BatchAccessContext, id: string): Promise<StoredJob> {
    const job = UUID.test(id) ? await this.repo.findJob(id.toLowerCase()) : null;
    if (!job || job.memberId !== ctx.member.id)
      throw new BrokerError(ErrorCode.NOT_FOUND, 'No such batch job.');
    return job;
  }

  async results(job: StoredJob, offset = 0, limit = 100): Promise<BatchResultView[]> {
    if (
      !Number.isInteger(offset) ||
      offset < 0 ||
      !Number.isInteger(limit) ||
      limit < 0 ||
      limit > MAX_RESULTS_PAGE
    ) {
      throw new BrokerError(
        ErrorCode.BAD_REQUEST,
        `results(offset, limit): offset >= 0 and 0 <= limit <= ${MAX_RESULTS_PAGE}.`,
      );
    }
    if (limit === 0) return [];
    const rows = await this.repo.results(job.id, offset, limit);
    // a result is never served past its consent's expiry, even before the reconciler's sweep
    const now = Date.now() / 1000;
    const expired = rows.filter(
      (r) => r.state === 'RELEASED' && r.consentExp !== null && r.consentExp <= now,
    );
    if (expired.length > 0) {
      await this.repo
        .purgeExpiredResultsOf(
          job.id,
          expired.map((r) => r.index),
        )
        .catch((e: Error) => this.logger.warn(`job ${job.id}: expired results not purged yet: ${e.message}`));
      for (const r of expired) {
        Object.assign(r, {
          state: 'REFUSED',
          result: null,
          errorCode: ErrorCode.CONSENT_REVOKED,
          errorMessage: PURGED_MESSAGE,
        });
      }
    }
    return rows.map((r) => {
      let person: Record<string, unknown> | null = null;
      let error = r.errorCode ? { code: r.errorCode, message: r.errorMessage ?? r.errorCode } : null;
      if (r.state === 'RELEASED' && r.result) {
        try {
          person = JSON.parse(
            this.cipher.open(r.result, resultAad(job.id, r.index)).toString('utf8'),
          ) as Record<string, unknown>;
        } catch {
          this.logger.error(`job ${job.id} item ${r.index}: result does not decrypt (wrong key or altered)`);
          error = { code: ErrorCode.INTERNAL_ERROR, message: 'The stored result could not be decrypted.' };
        }
      }
      return { index: r.index, matricule: r.matricule, state: r.state, person, error };
    });
  }
}
