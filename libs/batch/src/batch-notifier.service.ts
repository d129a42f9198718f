import { Inject, Injectable, Logger } from '@nestjs/common';
import { request } from 'undici';
import { BrokerSigner } from '@broker/audit';
import { TRUST_REGISTRY, type TrustRegistry } from '@broker/trust';
import { BatchRepository } from './batch.repository';

/** JOSE typ of the notice a member receives when its job is done (contracts/batch-event.schema.json). */
export const BATCH_EVENT_TYP = 'batch-event+jwt';
const ATTEMPTS = 4;

/**
 * Tells a member that a job is done, by a signed callback (webhook) to the URL registered for it
 * in the trust file (`batchCallbackUrl`): a POST whose body is a compact JWS signed with the
 * broker's key (verify with /.well-known/jwks.json) naming the job, its state and counts, never
 * any personal data. Members without a URL poll `batchJob`. Delivery is at least once (a job
 * finishing during a replay may be notified twice); the member deduplicates on `jti`.
 */
@Injectable()
export class BatchNotifier {
  private readonly logger = new Logger('BatchNotifier');
  private delivered = 0;
  private undelivered = 0;

  constructor(
    @Inject(BatchRepository) private readonly repo: BatchRepository,
    @Inject(TRUST_REGISTRY) private readonly trust: TrustRegistry,
    @Inject(BrokerSigner) private readonly signer: BrokerSigner,
  ) {}

  get stats(): { delivered: number; undelivered: number } {
    return { delivered: this.delivered, undelivered: this.undelivered };
  }

  async jobFinished(jobId: string): Promise<void> {
    try {
      const job = await this.repo.findJob(jobId);
      const url = job && this.trust.member(job.memberId)?.batchCallbackUrl;
      if (!job || !url) return;
      const now = Math.floor(Date.now() / 1000);
      const jws = await this.signer.sign(
        {
          iss: this.trust.brokerId,
          aud: job.memberId,
          iat: now,
          jti: `${job.id}:${job.state}`,
          jobId: job.id,
          state: job.state,
          total: job.total,
          succeeded: job.succeeded,
          refused: job.refused,
          failed: job.failed,
          completedAt: job.completedAt?.toISOString() ?? null,
        },
        BATCH_EVENT_TYP,
      );
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        try {
          const res = await request(url, {
            method: 'POST',
            headers: { 'content-type': 'application/jwt' },
            body: jws,
            headersTimeout: 5000,
            bodyTimeout: 5000,
          });
          await res.body.dump();
          if (res.statusCode >= 200 && res.statusCode < 300) {
            this.delivered++;
            return;
          }
        } catch {
          // retried below
        }
        await new Promise((r) => setTimeout(r, 500 * 2 ** attempt * Math.random()));
      }
      this.undelivered++;
      this.logger.warn(`job ${jobId}: the member's callback did not answer 2xx after ${ATTEMPTS} attempts`);
    } catch (e) {
      this.logger.warn(`job ${jobId}: notice not sent: ${(e as Error).message}`);
    }
  }
}
