import type { DataSource, QueryRunner } from 'typeorm';
import { type PgClient } from '@broker/database';
import type { AccessEntry } from './access-entry';
import { CANONICAL_VERSION } from './access-chain';

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

/** What an export chunk writes: NDJSON lines, CSV records, or no text (the manifest's own walk). */
export type ExportChunkText = 'ndjson' | 'csv' | null;

/**
 * One keyset page of an export as PostgreSQL writes it (exportChunk): the page's text, its
 * lines' hashes each followed by "\n" (the manifest digest's input), how many entries, the first
 * and last seq, the key of the last row, and where seqs do not follow each other.
 */
export interface ExportChunk {
  /** NDJSON lines or CSV records of the page ('' when no text was asked for). */
  text: string;
  /** `hash + "\n"` of every entry of the page, in order. */
  hashes: string;
  count: number;
  firstSeq: string;
  lastSeq: string;
  /** The last row's occurred_at, as PostgreSQL's text (the next page's key, read back losslessly). */
  lastAt: string;
  /** Each place in the page where seq is not the previous seq + 1, as [previous seq, seq]. */
  breaks: [string, string][];
}

/** A place in an export's order: (seq, occurred_at), the time as PostgreSQL's text. */
export interface ExportKey {
  seq: bigint;
  occurredAt: string;
}

/** A JSON string member `"key":value` of text expression `e` (escaped by to_json, as JSON.stringify does; null as null). */
const jsonMember = (key: string, e: string, first = false): string =>
  `'${first ? '' : ','}"${key}":' || coalesce(to_json(${e})::text, 'null')`;
/** A member present only when the value is not null (`nonEmpty`: a non-empty array). */
const optionalMember = (key: string, e: string, nonEmpty = false): string =>
  `CASE WHEN ${nonEmpty ? `cardinality(${e}) > 0` : `${e} IS NOT NULL`} THEN ',"${key}":' || to_json(${e})::text ELSE '' END`;
const ISO_UTC = `to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * An export line written by PostgreSQL: byte for byte `JSON.stringify(exportLine(entry))` of
 * @broker/audit (the canonical object's members in its order, then leafIndex and hash), "\n".
 */
const NDJSON_LINE = [
  `'{"v":${Number(CANONICAL_VERSION)},"seq":"' || seq::text || '"'`,
  `',"occurredAt":"' || ${ISO_UTC} || '"'`,
  jsonMember('channel', 'channel'),
  jsonMember('memberId', 'member_id'),
  jsonMember('purpose', 'purpose'),
  jsonMember('consentIssuer', 'consent_issuer'),
  jsonMember('consentJti', 'consent_jti'),
  jsonMember('subject', 'subject'),
  jsonMember('itemsRequested', 'items_requested'),
  jsonMember('itemsDisclosed', 'items_disclosed'),
  jsonMember('outcome', 'outcome'),
  jsonMember('reasonCode', 'reason_code'),
  jsonMember('source', 'source'),
  jsonMember('correlationId', 'correlation_id'),
  jsonMember('jobId', 'job_id'),
  jsonMember('prevHash', 'prev_hash'),
  optionalMember('auditFilter', 'audit_filter'),
  optionalMember('itemSources', 'item_sources', true),
  optionalMember('itemsFailed', 'items_failed', true),
  optionalMember('salt', 'salt'),
  `',"leafIndex":' || (seq - 1)::text`,
  jsonMember('hash', 'hash'),
  `E'}\\n'`,
].join(' || ');

/** An RFC 4180 cell of text expression `e`: quoted when it holds `"`, `,`, CR or LF; null as empty. */
const csvCell = (e: string): string =>
  `CASE WHEN ${e} ~ E'[",\\r\\n]' THEN '"' || replace(${e}, '"', '""') || '"' ELSE coalesce(${e}, '') END`;
/** An array column as a CSV cell (elements joined with `|`). */
const csvArray = (e: string): string => csvCell(`array_to_string(${e}, '|')`);

/** A CSV record written by PostgreSQL: byte for byte csvRecord(exportLine(entry)) of @broker/audit (CSV_COLUMNS order), CRLF. */
const CSV_RECORD = [
  'seq::text',
  ISO_UTC,
  csvCell('channel'),
  csvCell('member_id'),
  csvCell('purpose'),
  csvCell('consent_issuer'),
  csvCell('consent_jti'),
  csvCell('subject'),
  csvArray('items_requested'),
  csvArray('items_disclosed'),
  csvCell('outcome'),
  csvCell('reason_code'),
  csvCell('source'),
  csvCell('correlation_id'),
  csvCell('job_id'),
  csvCell('audit_filter'),
  csvCell('prev_hash'),
  csvCell('hash'),
  `'${Number(CANONICAL_VERSION)}'`,
  csvArray('item_sources'),
  csvArray('items_failed'),
  csvCell('salt'),
  '(seq - 1)::text',
]
  .map((c) => `(${c})`)
  .join(` || ',' || `)
  .concat(` || E'\\r\\n'`);

const CHUNK_TEXT: Record<'ndjson' | 'csv' | 'none', string> = {
  ndjson: NDJSON_LINE,
  csv: CSV_RECORD,
  none: `''`,
};

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

  /**
   * One page of an export, written by PostgreSQL in one row: the same entries, key and order as
   * exportPage, but the lines (`text`: NDJSON or CSV, or none) built in SQL and aggregated, with
   * their hashes for the manifest digest, so that the gateway handles one string per page instead
   * of a row object, an entry and a line object per entry. Null when the page is empty.
   */
  async exportChunk(
    filter: AccessLogFilter,
    after: { seq: bigint; occurredAt: string | null },
    upTo: bigint,
    limit: number,
    text: ExportChunkText,
    until?: ExportKey,
  ): Promise<ExportChunk | null> {
    const { where, params } = filterSql(filter, upTo, [
      after.seq.toString(),
      after.occurredAt ?? '-infinity',
    ]);
    where.unshift('(seq, occurred_at) > ($1::bigint, $2::timestamptz)');
    if (until) {
      params.push(until.seq.toString(), until.occurredAt);
      where.push(`(seq, occurred_at) <= ($${params.length - 1}::bigint, $${params.length}::timestamptz)`);
    }
    params.push(limit);
    // aggregates read the ordered subquery in its order (no ORDER BY inside them: no re-sort)
    const rows: {
      text: string | null;
      hashes: string | null;
      n: number;
      first_seq: string | null;
      last_seq: string | null;
      last_at: string | null;
      breaks: string | null;
    }[] = await this.ds.query(
      `SELECT coalesce(string_agg(p.line, ''), '') AS text, string_agg(p.hash || E'\n', '') AS hashes,
              count(*)::int AS n, (array_agg(p.seq))[1]::text AS first_seq,
              (array_agg(p.seq))[count(*)]::text AS last_seq,
              (array_agg(p.occurred_at))[count(*)]::text AS last_at,
              string_agg(CASE WHEN p.step <> 1 THEN (p.seq - p.step)::text || ':' || p.seq::text END, ',') AS breaks
         FROM (SELECT seq, occurred_at, hash, seq - lag(seq) OVER (ORDER BY seq, occurred_at) AS step,
                      ${CHUNK_TEXT[text ?? 'none']} AS line
                 FROM (SELECT * FROM access_log WHERE ${where.join(' AND ')}
                        ORDER BY seq, occurred_at LIMIT $${params.length}) a
                ORDER BY seq, occurred_at) p`,
      params,
    );
    const r = rows[0];
    if (!r || r.n === 0 || r.first_seq === null || r.last_seq === null || r.last_at === null) return null;
    return {
      text: r.text ?? '',
      hashes: r.hashes ?? '',
      count: r.n,
      firstSeq: r.first_seq,
      lastSeq: r.last_seq,
      lastAt: r.last_at,
      breaks: r.breaks
        ? r.breaks.split(',').map((b) => {
            const [prev, seq] = b.split(':');
            return [prev, seq] as [string, string];
          })
        : [],
    };
  }

  /**
   * The key of the `n`th entry after `after` in an export (the same filter, cut and order as
   * exportChunk), or null when there are fewer: the end of a page known before the page is read,
   * so that several pages can be written by PostgreSQL at once.
   */
  async exportKeyAt(
    filter: AccessLogFilter,
    after: { seq: bigint; occurredAt: string | null },
    upTo: bigint,
    n: number,
  ): Promise<ExportKey | null> {
    const { where, params } = filterSql(filter, upTo, [
      after.seq.toString(),
      after.occurredAt ?? '-infinity',
    ]);
    where.unshift('(seq, occurred_at) > ($1::bigint, $2::timestamptz)');
    params.push(n - 1);
    // (not `AS seq`: ORDER BY would sort by the text)
    const rows: { key_seq: string; at: string }[] = await this.ds.query(
      `SELECT seq::text AS key_seq, occurred_at::text AS at FROM access_log WHERE ${where.join(' AND ')}
        ORDER BY seq, occurred_at OFFSET $${params.length} LIMIT 1`,
      params,
    );
    return rows.length ? { seq: BigInt(rows[0].key_seq), occurredAt: rows[0].at } : null;
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
