import type { DataSource } from 'typeorm';
import type { AccessChannel, AccessOutcome } from '@broker/access-log';

/** A filter on one citizen's entries (absent keys do not filter). */
export interface CitizenLogFilter {
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  memberId?: string;
}

/** The columns of an entry that the citizen page shows (never the subject: it is the citizen). */
export interface CitizenLogRow {
  seq: string;
  occurredAt: Date;
  channel: AccessChannel;
  memberId: string;
  purpose: string | null;
  consentIssuer: string | null;
  consentJti: string | null;
  itemsRequested: string[];
  itemsDisclosed: string[];
  outcome: AccessOutcome;
  reasonCode: string | null;
  /** `item:source` per requested item; null on entries written before there were several sources. */
  itemSources: string[] | null;
  /** Items whose source failed in a partial answer; null when none. */
  itemsFailed: string[] | null;
  /** The sources asked, joined with `+` (or what was read instead of a register); null when none. */
  source: string | null;
  jobId: string | null;
  reported: boolean;
}

interface Row {
  seq: string;
  occurred_at: Date;
  channel: AccessChannel;
  member_id: string;
  purpose: string | null;
  consent_issuer: string | null;
  consent_jti: string | null;
  items_requested: string[];
  items_disclosed: string[];
  outcome: AccessOutcome;
  reason_code: string | null;
  item_sources: string[] | null;
  items_failed: string[] | null;
  source: string | null;
  job_id: string | null;
  reported: boolean;
}

/** The part of node-postgres's pool used here (TypeORM's PostgresDriver keeps it as `master`). */
interface PgPool {
  query(q: { name: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * SQL of one citizen's view of the access log and of the accesses they flag. Every statement
 * takes the citizen's subject as its first parameter and filters on it: no query here can reach
 * another citizen's rows, whatever the other parameters are.
 */
export class CitizenAccessLogRepository {
  constructor(private readonly ds: DataSource) {}

  /** The conditions and their parameters, and the shape of the filter (which conditions: a statement name). */
  private where(
    subject: string,
    filter: CitizenLogFilter,
  ): { where: string[]; params: unknown[]; shape: string } {
    const params: unknown[] = [subject];
    const where = ['l.subject = $1'];
    let shape = '';
    const add = (sqlText: string, value: unknown, letter: string): void => {
      params.push(value);
      where.push(sqlText.replace('?', `$${params.length}`));
      shape += letter;
    };
    if (filter.from) add('l.occurred_at >= ?::timestamptz', filter.from, 'f');
    if (filter.to) add('l.occurred_at < ?::timestamptz', filter.to, 't');
    if (filter.memberId !== undefined) add('l.member_id = ?', filter.memberId, 'm');
    return { where, params, shape };
  }

  /**
   * A read on the DataSource's pool as a named prepared statement: parsed once per connection, and
   * after a few runs planned once too (a generic plan), instead of planned on every request across
   * every monthly partition (about 1 ms each on a log of 24 partitions, more than the execution).
   * Each distinct text has its own `name`. The pool is the DataSource's own: its statement and query
   * timeouts hold.
   */
  private async prepared<T>(name: string, text: string, values: unknown[]): Promise<T[]> {
    const pool = (this.ds.driver as { master?: PgPool }).master;
    if (typeof pool?.query !== 'function') return this.ds.query(text, values);
    return (await pool.query({ name, text, values })).rows as T[];
  }

  /**
   * Entries about `subject`, newest first, strictly before `beforeSeq` when given. A keyset
   * page on the (subject, seq) index of every partition: the cost does not grow with the page
   * number nor with the citizen's total.
   */
  async page(
    subject: string,
    filter: CitizenLogFilter,
    beforeSeq: bigint | undefined,
    limit: number,
  ): Promise<CitizenLogRow[]> {
    const { where, params, shape } = this.where(subject, filter);
    let name = `citizen_log_page_${shape}`;
    if (beforeSeq !== undefined) {
      params.push(beforeSeq.toString());
      where.push(`l.seq < $${params.length}::bigint`);
      name += 'b';
    }
    params.push(limit);
    const rows = await this.prepared<Row>(
      name,
      `SELECT l.seq, l.occurred_at, l.channel, l.member_id, l.purpose, l.consent_issuer, l.consent_jti,
              l.items_requested, l.items_disclosed, l.outcome, l.reason_code, l.item_sources,
              l.items_failed, l.source, l.job_id,
              EXISTS (SELECT 1 FROM access_report r WHERE r.subject = $1 AND r.entry_seq = l.seq) AS reported
       FROM access_log l
       WHERE ${where.join(' AND ')}
       ORDER BY l.seq DESC
       LIMIT $${params.length}`,
      params,
    );
    return rows.map((r) => ({
      seq: String(r.seq),
      occurredAt: r.occurred_at,
      channel: r.channel,
      memberId: r.member_id,
      purpose: r.purpose,
      consentIssuer: r.consent_issuer,
      consentJti: r.consent_jti,
      itemsRequested: r.items_requested,
      itemsDisclosed: r.items_disclosed,
      outcome: r.outcome,
      reasonCode: r.reason_code,
      itemSources: r.item_sources,
      itemsFailed: r.items_failed,
      source: r.source,
      jobId: r.job_id,
      reported: r.reported,
    }));
  }

  /** How many entries about `subject` match the filter. */
  async count(subject: string, filter: CitizenLogFilter): Promise<number> {
    const { where, params, shape } = this.where(subject, filter);
    const rows = await this.prepared<{ n: string }>(
      `citizen_log_count_${shape}`,
      `SELECT count(*) AS n FROM access_log l WHERE ${where.join(' AND ')}`,
      params,
    );
    return Number(rows[0].n);
  }

  /** The requesters (member ids) that appear in the entries about `subject`. */
  async memberIds(subject: string): Promise<string[]> {
    const rows: { member_id: string }[] = await this.ds.query(
      'SELECT DISTINCT member_id FROM access_log WHERE subject = $1 ORDER BY member_id',
      [subject],
    );
    return rows.map((r) => r.member_id);
  }

  /** True when the entry `seq` is about `subject`. */
  async isAbout(subject: string, seq: bigint): Promise<boolean> {
    const rows: unknown[] = await this.ds.query(
      'SELECT 1 FROM access_log WHERE subject = $1 AND seq = $2::bigint LIMIT 1',
      [subject, seq.toString()],
    );
    return rows.length > 0;
  }
}
