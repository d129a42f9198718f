import type { DataItem } from '@broker/data-items';

export type BatchState = 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED';
export type BatchItemState = 'PENDING' | 'RELEASED' | 'REFUSED' | 'FAILED';

/** Versioned queue name (contracts/queues.md): a new payload shape gets a new name. */
export const PERSON_BATCH_QUEUE = 'person-batch.v1';

/** Payload of one queue job (version 1): a chunk of a batch job; the items themselves stay in PostgreSQL. */
export interface PersonBatchChunkV1 {
  v: 1;
  /** The batch job (uuid). */
  jobId: string;
  /** Chunk number: items [chunk * chunkSize, (chunk + 1) * chunkSize). */
  chunk: number;
  /**
   * The W3C trace context of the request that queued the chunk, when tracing is on: the worker's
   * chunk span continues that trace. Optional and ignorable: a worker without tracing, or an
   * older one, processes the chunk the same.
   */
  traceparent?: string;
  tracestate?: string;
}

/** The verified claims of an item's consent, kept to repeat the checks at release time. */
export interface StoredConsent {
  issuer: string;
  jti: string;
  subject: string;
  audience: string;
  purpose: string;
  scope: DataItem[];
  iat: number;
  exp: number;
}

/** One request of a submission, as the member sent it. */
export interface BatchRequest {
  matricule: unknown;
  consentToken: string;
}

export interface BatchSubmission {
  purpose: string;
  items: DataItem[];
  requests: BatchRequest[];
  idempotencyKey?: string | null;
}

/** A job as its member sees it. */
export interface BatchJobView {
  id: string;
  memberId: string;
  purpose: string;
  items: DataItem[];
  state: BatchState;
  total: number;
  succeeded: number;
  refused: number;
  failed: number;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  purgeAfter: Date | null;
}

export interface BatchItemError {
  code: string;
  message: string;
}

/** One item of a job's results. `person` is the released data (only the job's items), decrypted. */
export interface BatchResultView {
  index: number;
  matricule: string;
  state: BatchItemState;
  person: Record<string, unknown> | null;
  error: BatchItemError | null;
}
