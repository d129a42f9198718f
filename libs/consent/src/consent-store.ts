import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { consentKey, type ConsentKey, type TransactionQuery } from '@broker/access-log';
import { BrokerError, ErrorCode } from '@broker/errors';
import type { Consent } from './consent';
import type { ConsentRevocations } from './consent-revocations';

/** Who withdrew a consent. */
export type RevokedBy = 'citizen' | 'issuer';

/** A consent the broker has seen, with its withdrawal if any. */
export interface ConsentRecord {
  issuer: string;
  jti: string;
  subject: string;
  audience: string;
  purpose: string;
  scope: string[];
  issuedAt: Date;
  expiresAt: Date;
  firstSeenAt: Date;
  lastUsedAt: Date;
  revokedAt: Date | null;
  revokedBy: RevokedBy | null;
}

/** What the consent verifier needs: record what it saw, and ask what was withdrawn. */
export interface ConsentLedger extends ConsentRevocations {
  recordSeen(consent: Consent): Promise<void>;
  /** recordSeen for many consents, in one statement. */
  recordSeenMany(consents: readonly Consent[]): Promise<void>;
}

interface RecordRow {
  issuer: string;
  jti: string;
  subject: string;
  audience: string;
  purpose: string;
  scope: string[];
  issued_at: Date;
  expires_at: Date;
  first_seen_at: Date;
  last_used_at: Date;
  revoked_at: Date | null;
  revoked_by: RevokedBy | null;
}

const SELECT_RECORDS = `
  SELECT c.issuer, c.jti, c.subject, c.audience, c.purpose, c.scope, c.issued_at, c.expires_at,
         c.first_seen_at, c.last_used_at, r.revoked_at, r.revoked_by
  FROM consent_record c
  LEFT JOIN consent_revocation r ON r.issuer = c.issuer AND r.jti = c.jti`;

function toRecord(r: RecordRow): ConsentRecord {
  return {
    issuer: r.issuer,
    jti: r.jti,
    subject: r.subject,
    audience: r.audience,
    purpose: r.purpose,
    scope: r.scope,
    issuedAt: r.issued_at,
    expiresAt: r.expires_at,
    firstSeenAt: r.first_seen_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
    revokedBy: r.revoked_by,
  };
}

/** Which of one consent is withdrawn (the synchronous path's read, on every request). */
const WITHDRAWN_ONE = 'SELECT r.issuer, r.jti FROM consent_revocation r WHERE r.issuer = $1 AND r.jti = $2';
/** Which of several consents are withdrawn, in one query (a batch, a group commit). */
const WITHDRAWN_MANY = `SELECT r.issuer, r.jti
  FROM unnest($1::text[], $2::text[]) AS t(issuer, jti)
  JOIN consent_revocation r ON r.issuer = t.issuer AND r.jti = t.jti`;

/** The part of node-postgres's pool used here (TypeORM's PostgresDriver keeps it as `master`). */
interface PgPool {
  query(q: { name: string; text: string; values: unknown[] }): Promise<{ rows: ConsentKey[] }>;
}

/** How long this process skips re-writing a consent it recorded (last_used_at is that coarse). */
const RECORD_THROTTLE_MS = 60_000;
const RECORD_CACHE_LIMIT = 50_000;

/**
 * PostgreSQL ledger of consents: the ones the broker has seen (`consent_record`) and the
 * withdrawn ones (`consent_revocation`). Every gateway and worker reads the same tables, so a
 * withdrawal holds everywhere from the moment it is committed.
 *
 * Revocations are looked up by (issuer, jti), the table's primary key: two issuers may use the
 * same jti, and one's withdrawal must not refuse the other's consent.
 */
export class ConsentStore implements ConsentLedger {
  private readonly logger = new Logger('ConsentStore');
  /** issuer + jti -> when this process last wrote it (bounds the write load of the sync path). */
  private readonly recorded = new Map<string, number>();

  /**
   * `requestDeadlineMs` (LOG_APPEND_DEADLINE_MS) bounds the calls a request waits on before its
   * log entry (recordSeen, revokedAmong), pool wait included; the pool's own timeouts are longer.
   */
  constructor(
    private readonly ds: DataSource,
    private readonly requestDeadlineMs?: number,
  ) {}

  /** Upserts a verified consent (first seen, last used); at most once a minute per consent and process. */
  async recordSeen(c: Consent): Promise<void> {
    const key = `${c.issuer}\u0000${c.jti}`;
    const now = Date.now();
    const last = this.recorded.get(key);
    if (last !== undefined && now - last < RECORD_THROTTLE_MS) return;
    try {
      await this.withinDeadline(
        this.ds.query(
          `INSERT INTO consent_record (issuer, jti, subject, audience, purpose, scope, issued_at, expires_at,
                                     first_seen_at, last_used_at)
         VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7), to_timestamp($8), $9, $9)
         ON CONFLICT (issuer, jti) DO UPDATE
           SET last_used_at = GREATEST(consent_record.last_used_at, EXCLUDED.last_used_at)`,
          [
            c.issuer,
            c.jti,
            c.subject,
            c.audience,
            c.purpose,
            [...c.scope],
            c.issuedAt,
            c.expiresAt,
            new Date(now),
          ],
        ),
      );
      if (this.recorded.size >= RECORD_CACHE_LIMIT) this.recorded.clear();
      this.recorded.set(key, now);
    } catch (e) {
      // the listing is for the citizen's information; the decision does not depend on it
      this.logger.warn(`could not record a consent: ${(e as Error).message}`);
    }
  }

  async recordSeenMany(consents: readonly Consent[]): Promise<void> {
    // one row per consent: ON CONFLICT may not touch the same row twice in one statement
    const unique = [...new Map(consents.map((c) => [`${c.issuer}\u0000${c.jti}`, c])).values()];
    const now = new Date();
    try {
      for (let i = 0; i < unique.length; i += 5000) {
        const slice = unique.slice(i, i + 5000);
        await this.ds.query(
          `INSERT INTO consent_record (issuer, jti, subject, audience, purpose, scope, issued_at, expires_at,
                                       first_seen_at, last_used_at)
           SELECT t.issuer, t.jti, t.subject, t.audience, t.purpose,
                  ARRAY(SELECT jsonb_array_elements_text(t.scope)), to_timestamp(t.iat), to_timestamp(t.exp), $9, $9
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::bigint[], $8::bigint[])
             AS t(issuer, jti, subject, audience, purpose, scope, iat, exp)
           ON CONFLICT (issuer, jti) DO UPDATE
             SET last_used_at = GREATEST(consent_record.last_used_at, EXCLUDED.last_used_at)`,
          [
            slice.map((c) => c.issuer),
            slice.map((c) => c.jti),
            slice.map((c) => c.subject),
            slice.map((c) => c.audience),
            slice.map((c) => c.purpose),
            slice.map((c) => JSON.stringify([...c.scope])),
            slice.map((c) => c.issuedAt),
            slice.map((c) => c.expiresAt),
            now,
          ],
        );
      }
    } catch (e) {
      // as recordSeen: the listing informs the citizen, the decision does not depend on it
      this.logger.warn(`could not record ${unique.length} consents: ${(e as Error).message}`);
    }
  }

  async revokedAmong(consents: readonly ConsentKey[]): Promise<Set<string>> {
    try {
      return await this.withinDeadline(this.withdrawn((sql, params) => this.pooled(sql, params), consents));
    } catch (e) {
      // unanswered is not "not withdrawn": refuse, coded, nothing disclosed
      this.logger.warn(`could not read withdrawals: ${(e as Error).message}`);
      throw new BrokerError(
        ErrorCode.ACCESS_LOG_UNAVAILABLE,
        'The broker could not check the consent in time; nothing was disclosed.',
      );
    }
  }

  /** revokedAmong inside the caller's transaction (the access-log append, the batch release). */
  withdrawnAmong(q: TransactionQuery, consents: readonly ConsentKey[]): Promise<Set<string>> {
    return this.withdrawn((sql, params) => q.query(sql, params) as Promise<ConsentKey[]>, consents);
  }

  private async withdrawn(
    query: (sql: string, params: unknown[]) => Promise<ConsentKey[]>,
    consents: readonly ConsentKey[],
  ): Promise<Set<string>> {
    const unique = [...new Map(consents.map((c) => [consentKey(c), c])).values()];
    if (unique.length === 0) return new Set();
    // one consent (every synchronous request): a primary-key lookup, no arrays to send or unnest
    const rows =
      unique.length === 1
        ? await query(WITHDRAWN_ONE, [unique[0].issuer, unique[0].jti])
        : await query(WITHDRAWN_MANY, [unique.map((c) => c.issuer), unique.map((c) => c.jti)]);
    return new Set(rows.map(consentKey));
  }

  /**
   * A query on the DataSource's pool outside any transaction; the one-consent withdrawal read as a
   * named prepared statement (parsed and planned once per connection instead of once per request).
   * The pool is the DataSource's own: its statement and query timeouts hold.
   */
  private async pooled(sql: string, params: unknown[]): Promise<ConsentKey[]> {
    const pool = (this.ds.driver as { master?: PgPool }).master;
    if (sql !== WITHDRAWN_ONE || typeof pool?.query !== 'function') return this.ds.query(sql, params);
    const result = await pool.query({ name: 'consent_withdrawn_one', text: sql, values: params });
    return result.rows;
  }

  /** Withdraws a consent (idempotent: a second call keeps the first time); returns when it was withdrawn. */
  async revoke(issuer: string, jti: string, by: RevokedBy): Promise<Date> {
    const rows: { revoked_at: Date }[] = await this.ds.query(
      `WITH ins AS (
         INSERT INTO consent_revocation (issuer, jti, revoked_at, revoked_by) VALUES ($1, $2, now(), $3)
         ON CONFLICT (issuer, jti) DO NOTHING
         RETURNING revoked_at)
       SELECT revoked_at FROM ins
       UNION ALL
       SELECT revoked_at FROM consent_revocation WHERE issuer = $1 AND jti = $2
       LIMIT 1`,
      [issuer, jti, by],
    );
    return rows[0].revoked_at;
  }

  /** The consents about one citizen, most recently seen first. */
  async forSubject(subject: string): Promise<ConsentRecord[]> {
    const rows: RecordRow[] = await this.ds.query(
      `${SELECT_RECORDS} WHERE c.subject = $1 ORDER BY c.first_seen_at DESC, c.issuer, c.jti`,
      [subject],
    );
    return rows.map(toRecord);
  }

  /** The consents with this jti about this citizen (normally one). */
  async forSubjectAndJti(subject: string, jti: string): Promise<ConsentRecord[]> {
    const rows: RecordRow[] = await this.ds.query(
      `${SELECT_RECORDS} WHERE c.subject = $1 AND c.jti = $2 ORDER BY c.issuer`,
      [subject, jti],
    );
    return rows.map(toRecord);
  }

  /** `work`, or a rejection once the request's deadline has passed (the query itself ends at the pool's query timeout). */
  private withinDeadline<T>(work: Promise<T>): Promise<T> {
    const ms = this.requestDeadlineMs;
    if (!ms) return work;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    work.catch(() => undefined); // a late failure is not unhandled
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  }

  /** The issuers of the seen consents that carry this jti. */
  async issuersOf(jti: string): Promise<string[]> {
    const rows: { issuer: string }[] = await this.ds.query(
      'SELECT issuer FROM consent_record WHERE jti = $1 ORDER BY issuer',
      [jti],
    );
    return rows.map((r) => r.issuer);
  }
}
