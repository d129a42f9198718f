import type { DataSource, QueryRunner } from 'typeorm';
import { type PgClient } from '@broker/database';
import type { AccessEntry } from './access-entry';

/** Columns in insert order; the mapping to AccessEntry is `toEntry` below. */
const COLUMNS = [
  'seq',
  'occurred_at',
  'channel',
  'member_id',
  'purpose',
  'consent_issuer',
  'consent_jti',
  'subject',
  'items_requested',
  'items_disclosed',
  'outcome',
  'reason_code',
  'source',
  'correlation_id',
  'job_id',
  'prev_hash',
  'hash',
  'audit_filter',
  'item_sources',
  'items_failed',
  'salt',
] as const;

interface Row {
  seq: string;
  occurred_at: Date;
  channel: AccessEntry['channel'];
  member_id: string;
  purpose: string | null;
  consent_issuer: string | null;
  consent_jti: string | null;
  subject: string | null;
  items_requested: AccessEntry['itemsRequested'];
  items_disclosed: AccessEntry['itemsDisclosed'];
  outcome: AccessEntry['outcome'];
  reason_code: string | null;
  source: string | null;
  correlation_id: string;
  job_id: string | null;
  prev_hash: string;
  hash: string;
  audit_filter: string | null;
  item_sources: string[] | null;
  items_failed: AccessEntry['itemsDisclosed'] | null;
  salt: string | null;
}

function toEntry(r: Row): AccessEntry {
  return {
    seq: String(r.seq),
    occurredAt: r.occurred_at,
    channel: r.channel,
    memberId: r.member_id,
    purpose: r.purpose,
    consentIssuer: r.consent_issuer,
    consentJti: r.consent_jti,
    subject: r.subject,
    itemsRequested: r.items_requested,
    itemsDisclosed: r.items_disclosed,
    outcome: r.outcome,
    reasonCode: r.reason_code,
    source: r.source,
    correlationId: r.correlation_id,
    jobId: r.job_id,
    prevHash: r.prev_hash,
    hash: r.hash,
    auditFilter: r.audit_filter,
    itemSources: r.item_sources,
    itemsFailed: r.items_failed,
    salt: r.salt,
  };
}

function values(e: AccessEntry): unknown[] {
  return [
    e.seq,
    e.occurredAt,
    e.channel,
    e.memberId,
    e.purpose,
    e.consentIssuer,
    e.consentJti,
    e.subject,
    e.itemsRequested,
    e.itemsDisclosed,
    e.outcome,
    e.reasonCode,
    e.source,
    e.correlationId,
    e.jobId,
    e.prevHash,
    e.hash,
    e.auditFilter ?? null,
    e.itemSources?.length ? e.itemSources : null,
    e.itemsFailed?.length ? e.itemsFailed : null,
    e.salt ?? null,
  ];
}

/** The type of each column, in COLUMNS order (text[] columns travel as one literal per row). */
const COLUMN_TYPES: Record<(typeof COLUMNS)[number], string> = {
  seq: 'bigint',
  occurred_at: 'timestamptz',
  channel: 'text',
  member_id: 'text',
  purpose: 'text',
  consent_issuer: 'text',
  consent_jti: 'text',
  subject: 'text',
  items_requested: 'text[]',
  items_disclosed: 'text[]',
  outcome: 'text',
  reason_code: 'text',
  source: 'text',
  correlation_id: 'text',
  job_id: 'text',
  prev_hash: 'text',
  hash: 'text',
  audit_filter: 'text',
  item_sources: 'text[]',
  items_failed: 'text[]',
  salt: 'text',
};

const ARRAY_COLUMNS = COLUMNS.flatMap((c, i) => (COLUMN_TYPES[c] === 'text[]' ? [i] : []));

/** The entries' insert: $1..$21 one array per column (text[] columns as one literal per row). */
const INSERT_ROWS = (() => {
  const arrays = COLUMNS.map(
    (c, i) => `$${i + 1}::${COLUMN_TYPES[c] === 'text[]' ? 'text' : COLUMN_TYPES[c]}[]`,
  );
  const select = COLUMNS.map((c, i) => (COLUMN_TYPES[c] === 'text[]' ? `c${i}::text[]` : `c${i}`));
  return `INSERT INTO access_log (${COLUMNS.join(', ')})
      SELECT ${select.join(', ')} FROM unnest(${arrays.join(', ')}) AS u(${COLUMNS.map((_, i) => `c${i}`).join(', ')})`;
})();

/** The entries' insert and the head's move in one statement: the column arrays, then the new head. */
const INSERT_SEALED = `WITH inserted AS (
      ${INSERT_ROWS}
    )
    UPDATE access_log_head SET seq = $${COLUMNS.length + 1}, hash = $${COLUMNS.length + 2}, updated_at = now() WHERE id = 1`;

/**
 * INSERT_SEALED for a writer that knows the head it follows: the head moves only if it is still
 * (`$24`, `$25`), in the same statement, and the entries go in only if it moved. The UPDATE takes
 * the head's row lock as `FOR UPDATE` does (it waits for another writer's transaction, then
 * re-reads the row), so two writers can never both follow one head.
 */
const INSERT_SEALED_IF_HEAD = `WITH moved AS (
      UPDATE access_log_head SET seq = $${COLUMNS.length + 1}, hash = $${COLUMNS.length + 2}, updated_at = now()
      WHERE id = 1 AND seq = $${COLUMNS.length + 3} AND hash = $${COLUMNS.length + 4}
      RETURNING 1
    )
    ${INSERT_ROWS} WHERE EXISTS (SELECT 1 FROM moved)`;

/** The chain head, locked for the rest of the transaction. */
const LOCK_HEAD = 'SELECT seq, hash FROM access_log_head WHERE id = 1 FOR UPDATE';

/** The parameters of INSERT_SEALED for `entries` (sealed, at least one). */
function insertParams(entries: readonly AccessEntry[]): unknown[] {
  const n = entries.length;
  const columns: unknown[][] = COLUMNS.map(() => new Array<unknown>(n));
  for (let row = 0; row < n; row++) {
    const v = values(entries[row]);
    for (let col = 0; col < v.length; col++) columns[col][row] = v[col];
  }
  // the text[] columns go as array literals, one per row (a two-dimensional array must be rectangular)
  for (const col of ARRAY_COLUMNS) columns[col] = columns[col].map((v) => arrayLiteral(v as string[] | null));
  const last = entries[n - 1];
  columns.push(last.seq as never, last.hash as never);
  return columns;
}

/** A PostgreSQL array literal of strings (each element quoted, `"` and `\` escaped), or null. */
export function arrayLiteral(a: readonly string[] | null): string | null {
  if (a === null) return null;
  return `{${a.map((s) => `"${s.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

interface HeadRow {
  seq: string;
  hash: string;
}

/** The locked head row. */
function headOf(rows: HeadRow[]): { seq: bigint; hash: string } {
  if (rows.length !== 1) throw new Error('access_log_head is missing: migrations not applied?');
  return { seq: BigInt(rows[0].seq), hash: rows[0].hash };
}

/** Which entries an export holds (absent keys do not filter). */
export interface AccessLogFilter {
  from?: string;
  to?: string;
  memberId?: string;
  members?: string[];
  purpose?: string;
  subject?: string;
  outcome?: 'DISCLOSED' | 'REFUSED';
}

/** The WHERE clauses of a filter, numbering parameters after `params`. */
function filterSql(
  filter: AccessLogFilter,
  upTo: bigint,
  params: unknown[],
): { where: string[]; params: unknown[] } {
  const where: string[] = [];
  const add = (sqlText: string, value: unknown): void => {
    params.push(value);
    where.push(sqlText.replace('?', `$${params.length}`));
  };
  add('seq <= ?', upTo.toString());
  if (filter.from) add('occurred_at >= ?::timestamptz', filter.from);
  if (filter.to) add('occurred_at < ?::timestamptz', filter.to);
  if (filter.memberId) add('member_id = ?', filter.memberId);
  if (filter.members) add('member_id = ANY(?::text[])', filter.members);
  if (filter.purpose) add('purpose = ?', filter.purpose);
  if (filter.subject) add('subject = ?', filter.subject);
  if (filter.outcome) add('outcome = ?', filter.outcome);
  return { where, params };
}

/** SQL of the access log; every technology detail of the table lives here. */
export class AccessLogRepository {
  constructor(private readonly ds: DataSource) {}

  /** Locks the chain head for the rest of the caller's transaction and returns it. */
  async lockHead(q: QueryRunner): Promise<{ seq: bigint; hash: string }> {
    return headOf(await q.query(LOCK_HEAD));
  }

  /** lockHead on a node-postgres connection in a transaction (the appender's group commit), as a prepared statement. */
  async lockHeadOn(c: PgClient): Promise<{ seq: bigint; hash: string }> {
    return headOf((await c.query<HeadRow>({ name: 'access_log_lock_head', text: LOCK_HEAD })).rows);
  }

  /**
   * Inserts sealed entries and moves the head, inside the caller's transaction: one statement
   * (one round trip under the head lock) whose text does not depend on the number of entries,
   * each column sent as one array (PostgreSQL plans it once per statement, not per row and value).
   */
  async insertSealed(q: QueryRunner, entries: AccessEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await q.query(INSERT_SEALED, insertParams(entries));
  }

  /**
   * insertSealed on a node-postgres connection in a transaction (the appender's group commit):
   * a prepared statement, parsed and planned once per connection instead of once per batch.
   */
  async insertSealedOn(c: PgClient, entries: readonly AccessEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await c.query({ name: 'access_log_insert_sealed', text: INSERT_SEALED, values: insertParams(entries) });
  }

  /**
   * The group commit's one-statement append (autocommit, its own transaction) when the writer
   * knows the head its entries follow (`after`, the head its own last commit left): inserts the
   * sealed entries and moves the head only if the head is still `after`. False when another
   * writer moved it since (nothing written): the caller seals again under the head lock.
   */
  async insertSealedIfHeadOn(
    c: PgClient,
    entries: readonly AccessEntry[],
    after: { seq: bigint; hash: string },
  ): Promise<boolean> {
    if (entries.length === 0) return true;
    const values = insertParams(entries);
    values.push(after.seq.toString(), after.hash);
    const r = await c.query({
      name: 'access_log_insert_sealed_if_head',
      text: INSERT_SEALED_IF_HEAD,
      values,
    });
    if (r.rowCount === entries.length) return true;
    if (!r.rowCount) return false;
    throw new Error(`access log: ${r.rowCount} of ${entries.length} sealed entries inserted`);
  }

  /**
   * One page of entries up to `upTo` matching the filter, after the key (seq, occurredAt), in
   * chain order: exports page with it, and the verifier (empty filter, inside its snapshot `q`).
   * The key is the primary key, so a duplicated seq (a tampering) is still read, never skipped,
   * and keyset pages keep memory flat whatever the size.
   */
  async exportPage(
    filter: AccessLogFilter,
    after: { seq: bigint; occurredAt: Date | null },
    upTo: bigint,
    limit: number,
    q?: QueryRunner,
  ): Promise<AccessEntry[]> {
    const { where, params } = filterSql(filter, upTo, [
      after.seq.toString(),
      after.occurredAt ?? '-infinity',
    ]);
    where.unshift('(seq, occurred_at) > ($1::bigint, $2::timestamptz)');
    params.push(limit);
    const rows: Row[] = await (q ?? this.ds).query(
      `SELECT ${COLUMNS.join(', ')} FROM access_log WHERE ${where.join(' AND ')} ORDER BY seq, occurred_at LIMIT $${params.length}`,
      params,
    );
    return rows.map(toEntry);
  }

  /** How many entries up to `upTo` match the filter (for progress reports). */
  async exportCount(filter: AccessLogFilter, upTo: bigint): Promise<number> {
    const { where, params } = filterSql(filter, upTo, []);
    const rows: { n: string }[] = await this.ds.query(
      `SELECT count(*) AS n FROM access_log WHERE ${where.join(' AND ')}`,
      params,
    );
    return Number(rows[0].n);
  }

  /** Number of rows whose seq lies above the recorded head (there should be none). */
  async countAbove(q: QueryRunner, seq: bigint): Promise<number> {
    const rows: { n: string }[] = await q.query('SELECT count(*) AS n FROM access_log WHERE seq > $1', [
      seq.toString(),
    ]);
    return Number(rows[0].n);
  }

  /** The recorded head, read without locking (inside `q`'s transaction when given). */
  async head(q?: QueryRunner): Promise<{ seq: bigint; hash: string }> {
    const rows: { seq: string; hash: string }[] = await (q ?? this.ds).query(
      'SELECT seq, hash FROM access_log_head WHERE id = 1',
    );
    return { seq: BigInt(rows[0].seq), hash: rows[0].hash };
  }

  /**
   * Up to `limit` entries after `seq`, in seq order (the transparency log's integrator reads the
   * entries it has not yet added to the tree with it, on its own connection `q`).
   */
  async entriesAfter(q: QueryRunner, seq: bigint, limit: number): Promise<AccessEntry[]> {
    const rows: Row[] = await q.query(
      `SELECT ${COLUMNS.join(', ')} FROM access_log WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [seq.toString(), limit],
    );
    return rows.map(toEntry);
  }

  /** When entry `seq` was decided, or null when there is no such entry (the log's integration delay). */
  async occurredAtOf(seq: bigint): Promise<Date | null> {
    const rows: { occurred_at: Date }[] = await this.ds.query(
      'SELECT occurred_at FROM access_log WHERE seq = $1 ORDER BY occurred_at LIMIT 1',
      [seq.toString()],
    );
    return rows[0]?.occurred_at ?? null;
  }

  /** The hash of entry `seq`, or null when there is no such entry. */
  async hashOf(seq: bigint): Promise<string | null> {
    const rows: { hash: string }[] = await this.ds.query(
      'SELECT hash FROM access_log WHERE seq = $1 LIMIT 1',
      [seq.toString()],
    );
    return rows[0]?.hash ?? null;
  }

  /** Entries of one request. */
  async findByCorrelationId(correlationId: string): Promise<AccessEntry[]> {
    const rows: Row[] = await this.ds.query(
      `SELECT ${COLUMNS.join(', ')} FROM access_log WHERE correlation_id = $1 ORDER BY seq`,
      [correlationId],
    );
    return rows.map(toEntry);
  }

  /** The entries at `seqs` (those that exist), in seq order. */
  async findBySeqs(seqs: readonly string[]): Promise<AccessEntry[]> {
    if (seqs.length === 0) return [];
    const rows: Row[] = await this.ds.query(
      `SELECT ${COLUMNS.join(', ')} FROM access_log WHERE seq = ANY($1::bigint[]) ORDER BY seq`,
      [seqs],
    );
    return rows.map(toEntry);
  }

  /** Entries of one asynchronous job. */
  async findByJobId(jobId: string): Promise<AccessEntry[]> {
    const rows: Row[] = await this.ds.query(
      `SELECT ${COLUMNS.join(', ')} FROM access_log WHERE job_id = $1 ORDER BY seq`,
      [jobId],
    );
    return rows.map(toEntry);
  }

  /** Makes sure the monthly partitions around `day` exist (idempotent, safe under concurrency). */
  async ensurePartitions(day: Date, monthsAhead: number): Promise<void> {
    for (let i = 0; i <= monthsAhead; i++) {
      const d = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + i, 1));
      await this.ds.query('SELECT access_log_ensure_month($1::date)', [d.toISOString().slice(0, 10)]);
    }
  }
}
