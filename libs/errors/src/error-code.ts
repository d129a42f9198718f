/**
 * Every coded refusal or failure the broker can answer with. The catalogue below is the single
 * source of contracts/error-codes.md (generated, drift-checked): adding a code without
 * documenting it does not compile, because the catalogue is a Record over this enum.
 */
export enum ErrorCode {
  UNAUTHENTICATED = 'UNAUTHENTICATED',
  FORBIDDEN = 'FORBIDDEN',
  CONSENT_INVALID = 'CONSENT_INVALID',
  CONSENT_EXPIRED = 'CONSENT_EXPIRED',
  CONSENT_REVOKED = 'CONSENT_REVOKED',
  CONSENT_SUBJECT_MISMATCH = 'CONSENT_SUBJECT_MISMATCH',
  CONSENT_AUDIENCE_MISMATCH = 'CONSENT_AUDIENCE_MISMATCH',
  SCOPE_NOT_GRANTED = 'SCOPE_NOT_GRANTED',
  PURPOSE_NOT_ALLOWED = 'PURPOSE_NOT_ALLOWED',
  INVALID_MATRICULE = 'INVALID_MATRICULE',
  PERSON_NOT_FOUND = 'PERSON_NOT_FOUND',
  SOURCE_UNAVAILABLE = 'SOURCE_UNAVAILABLE',
  ACCESS_LOG_UNAVAILABLE = 'ACCESS_LOG_UNAVAILABLE',
  QUERY_TOO_COMPLEX = 'QUERY_TOO_COMPLEX',
  BATCHING_NOT_SUPPORTED = 'BATCHING_NOT_SUPPORTED',
  REQUEST_TOO_LARGE = 'REQUEST_TOO_LARGE',
  BAD_REQUEST = 'BAD_REQUEST',
  NOT_FOUND = 'NOT_FOUND',
  LINK_EXPIRED = 'LINK_EXPIRED',
  QUEUE_UNAVAILABLE = 'QUEUE_UNAVAILABLE',
  BATCH_TOO_LARGE = 'BATCH_TOO_LARGE',
  TOO_MANY_JOBS = 'TOO_MANY_JOBS',
  IDEMPOTENCY_CONFLICT = 'IDEMPOTENCY_CONFLICT',
  RATE_LIMITED = 'RATE_LIMITED',
  LOG_NOT_PUBLISHED = 'LOG_NOT_PUBLISHED',
  INTERNAL_ERROR = 'INTERNAL_ERROR',
}

/** Where a code comes from, so that integrators know whom to call. */
export type ErrorOrigin = 'caller' | 'consent' | 'policy' | 'source' | 'broker';

export interface ErrorCodeDoc {
  origin: ErrorOrigin;
  /** Whether the same request may succeed later without change. */
  retryable: boolean;
  /** Whether the request leaves an access-log entry (only authenticated members' decisions do). */
  logged: 'yes' | 'no' | 'when authenticated';
  /** Plain-language meaning, used as the default message and in the catalogue. */
  meaning: string;
  /** What the caller should do. */
  remedy: string;
}

export const ERROR_CATALOGUE: Record<ErrorCode, ErrorCodeDoc> = {
  [ErrorCode.UNAUTHENTICATED]: {
    origin: 'caller',
    retryable: false,
    logged: 'no',
    meaning:
      'The member assertion, citizen ID token or staff token (Authorization: Bearer, or the citizen page cookie) is missing, malformed, expired or not signed by a key the trust file names.',
    remedy:
      'Sign a fresh assertion (typ JWT, iss = sub = member id, aud = brokerId, lifetime at most 300 s) with a key whose kid is in your JWKS.',
  },
  [ErrorCode.FORBIDDEN]: {
    origin: 'caller',
    retryable: false,
    logged: 'no',
    meaning:
      "The caller is authenticated but may not do this: a citizen ID token on person, a member or staff token on the citizen operations, a staff token without the auditor role, a filter outside the token's members restriction, or a consent issuer revoking another issuer's consent.",
    remedy: 'Ask the staff issuer for a token with the right role and scope.',
  },
  [ErrorCode.CONSENT_INVALID]: {
    origin: 'consent',
    retryable: false,
    logged: 'yes',
    meaning:
      'The Consent-Token header is missing, malformed, not signed by a trusted consent issuer, or lacks a required claim.',
    remedy: 'Obtain a consent token (typ consent+jwt) from a trusted consent issuer and send it unchanged.',
  },
  [ErrorCode.CONSENT_EXPIRED]: {
    origin: 'consent',
    retryable: false,
    logged: 'yes',
    meaning: 'The consent token is authentic but its exp is in the past.',
    remedy: 'Ask the citizen for a new consent.',
  },
  [ErrorCode.CONSENT_REVOKED]: {
    origin: 'consent',
    retryable: false,
    logged: 'yes',
    meaning:
      'The consent token is authentic but was withdrawn: by the citizen on the citizen page, or by its issuer.',
    remedy:
      'Do not retry with this consent; ask the citizen for a new one if the procedure still needs the data.',
  },
  [ErrorCode.CONSENT_SUBJECT_MISMATCH]: {
    origin: 'consent',
    retryable: false,
    logged: 'yes',
    meaning: "The queried matricule is not the consent's subject (sub).",
    remedy: 'Query only the citizen who gave the consent.',
  },
  [ErrorCode.CONSENT_AUDIENCE_MISMATCH]: {
    origin: 'consent',
    retryable: false,
    logged: 'yes',
    meaning: 'The consent was given to another receiver (aud is not the calling member).',
    remedy: 'Use a consent issued to your own member id.',
  },
  [ErrorCode.SCOPE_NOT_GRANTED]: {
    origin: 'policy',
    retryable: false,
    logged: 'yes',
    meaning:
      "The query selects a data item outside the consent's scope or outside the member's grant for the purpose. Nothing was fetched.",
    remedy:
      'Select only the items that both the consent scope and your grant cover (see contracts/data-items.md).',
  },
  [ErrorCode.PURPOSE_NOT_ALLOWED]: {
    origin: 'policy',
    retryable: false,
    logged: 'yes',
    meaning: "The consent's purpose is not one the member is registered to serve.",
    remedy:
      'Register the purpose for your member in the trust configuration, or use a consent for one of your purposes.',
  },
  [ErrorCode.INVALID_MATRICULE]: {
    origin: 'caller',
    retryable: false,
    logged: 'when authenticated',
    meaning:
      'The matricule is not 13 ASCII digits with a possible birth date and correct Luhn and Verhoeff check digits. No register was called.',
    remedy: 'Correct the identification number.',
  },
  [ErrorCode.PERSON_NOT_FOUND]: {
    origin: 'source',
    retryable: false,
    logged: 'yes',
    meaning: 'The matricule is valid but the register knows no such person.',
    remedy: 'Check the identification number with the citizen.',
  },
  [ErrorCode.SOURCE_UNAVAILABLE]: {
    origin: 'source',
    retryable: true,
    logged: 'yes',
    meaning:
      "An authentic source did not answer in time or answered with an error (after retries), its circuit breaker is open, or it answered with a record that is not the person asked for or not of the expected shape (nothing of it is disclosed). `extensions.source` names the source (`rnpp`, `ccss`, `rcs`) and `problem` says why. When other sources of the same query answered, the error sits on each of the failed source's fields (its `path` ends in the field) and the rest of `data.person` is answered; when none did, `data.person` is null.",
    remedy: 'Retry later with backoff.',
  },
  [ErrorCode.ACCESS_LOG_UNAVAILABLE]: {
    origin: 'broker',
    retryable: true,
    logged: 'no',
    meaning:
      "The access-log entry could not be made durable in time (the broker's database did not answer, or its log queue was full), so nothing was disclosed.",
    remedy: 'Retry later; operators are alerted.',
  },
  [ErrorCode.QUERY_TOO_COMPLEX]: {
    origin: 'caller',
    retryable: false,
    logged: 'no',
    meaning:
      'The GraphQL document exceeds a limit: a root field (person, myData, ...) more than once, too many fields, aliases or directives, or too deep.',
    remedy: 'Ask for each root field once per request (one person query per request) with a plain selection.',
  },
  [ErrorCode.BATCHING_NOT_SUPPORTED]: {
    origin: 'caller',
    retryable: false,
    logged: 'no',
    meaning: 'The body is a JSON array of operations; one operation per HTTP request is accepted.',
    remedy: 'Send operations one by one.',
  },
  [ErrorCode.REQUEST_TOO_LARGE]: {
    origin: 'caller',
    retryable: false,
    logged: 'no',
    meaning:
      'The request body exceeds GRAPHQL_MAX_BODY_BYTES or the GraphQL document (the query text) exceeds GRAPHQL_MAX_DOCUMENT_BYTES (HTTP 413), or the headers exceed 16 KiB (HTTP 431).',
    remedy: 'Send a smaller request; put large inputs in variables, not in the document.',
  },
  [ErrorCode.BAD_REQUEST]: {
    origin: 'caller',
    retryable: false,
    logged: 'no',
    meaning:
      'The HTTP request is not a GraphQL request the gateway understands (content type, JSON, missing query, a repeated Authorization, Consent-Token, Content-Type, Content-Length, Host or X-Correlation-Id header), or an argument is out of range (a cursor that is not one of the list, a report text not 1 to 1,000 characters).',
    remedy:
      'POST application/json with {"query", "variables"}, each header once; see the argument\'s description in the schema.',
  },
  [ErrorCode.NOT_FOUND]: {
    origin: 'caller',
    retryable: false,
    logged: 'no',
    meaning:
      "No such export job for this auditor (another auditor's job is not found either), a download of a job that has not completed, a consent or access-log entry that is not about the signed-in citizen, or the demo sign-in in production mode.",
    remedy: "Check the job id; download with the path of the job's own status once it is COMPLETED.",
  },
  [ErrorCode.LINK_EXPIRED]: {
    origin: 'caller',
    retryable: false,
    logged: 'no',
    meaning: 'The download of an export job has expired (EXPORT_LINK_TTL_S); the file is deleted.',
    remedy: 'Submit the export job again.',
  },
  [ErrorCode.QUEUE_UNAVAILABLE]: {
    origin: 'broker',
    retryable: true,
    logged: 'no',
    meaning:
      'Queued work (export jobs) needs Redis, and none answered when the gateway started in production mode (a development gateway runs the jobs itself).',
    remedy: 'Use the streamed export (GET /audit/export), or retry once operators have Redis running.',
  },
  [ErrorCode.BATCH_TOO_LARGE]: {
    origin: 'caller',
    retryable: false,
    logged: 'no',
    meaning: 'A submitPersonBatch request has no item or more items than the documented maximum per job.',
    remedy: 'Split the requests into jobs of at most the maximum (see docs/async.md).',
  },
  [ErrorCode.TOO_MANY_JOBS]: {
    origin: 'caller',
    retryable: true,
    logged: 'no',
    meaning: 'The member already has the maximum number of batch jobs queued or running.',
    remedy: 'Wait for one of your jobs to complete, then submit again.',
  },
  [ErrorCode.IDEMPOTENCY_CONFLICT]: {
    origin: 'caller',
    retryable: false,
    logged: 'no',
    meaning: 'The idempotencyKey was already used by this member for a batch with different content.',
    remedy: 'Use a new idempotencyKey for a different batch; resend the same batch to get the same job.',
  },
  [ErrorCode.RATE_LIMITED]: {
    origin: 'policy',
    retryable: true,
    logged: 'yes',
    meaning:
      'The member is over its quota: more `person` requests per second than its `quota.requestsPerSecond` (trust file; QUOTA_REQUESTS_PER_SECOND otherwise), shared by every gateway, or a `submitPersonBatch` while it already has its `quota.concurrentJobs` jobs queued or running (QUOTA_CONCURRENT_JOBS otherwise). Nothing was fetched or queued. The HTTP response carries `Retry-After` (whole seconds) and `extensions.retryAfterSeconds` says the same.',
    remedy:
      'Wait at least Retry-After seconds before sending again, and spread your requests; ask the broker operator for a higher quota if your procedure needs one.',
  },
  [ErrorCode.LOG_NOT_PUBLISHED]: {
    origin: 'broker',
    retryable: true,
    logged: 'no',
    meaning:
      'No checkpoint of the transparency log is published yet (GET /log/checkpoint, /log/consistency, /log/proof): the log is empty, or its witnesses have not yet cosigned a checkpoint to the quorum of the trust file.',
    remedy: "Retry later; operators see the witnesses' state in /health/ready and the metrics.",
  },
  [ErrorCode.INTERNAL_ERROR]: {
    origin: 'broker',
    retryable: true,
    logged: 'when authenticated',
    meaning: 'An unexpected error; details are in the application log under the correlation id.',
    remedy: 'Retry later and quote the X-Correlation-Id to the operators.',
  },
};

/** GraphQL-level codes that Apollo Server itself produces before any resolver runs. */
export const APOLLO_CODES = [
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
] as const;
