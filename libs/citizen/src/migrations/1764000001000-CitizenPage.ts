import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The citizen page: a citizen's own log is read newest first by seq (keyset pages), hence an
 * index on (subject, seq) on every monthly partition; and the accesses a citizen flags for the
 * auditors are kept in `access_report` (the access log itself stays append-only and untouched).
 */
export class CitizenPage1764000001000 implements MigrationInterface {
  name = 'CitizenPage1764000001000';

  async up(q: QueryRunner): Promise<void> {
    // on the partitioned parent: PostgreSQL creates it on every partition, present and future
    await q.query(`CREATE INDEX access_log_subject_seq_idx ON access_log (subject, seq)`);
    await q.query(`
      CREATE TABLE access_report (
        id          bigserial   PRIMARY KEY,
        entry_seq   bigint      NOT NULL,
        subject     text        NOT NULL,
        text        text        NOT NULL CHECK (char_length(text) BETWEEN 1 AND 1000),
        reported_at timestamptz NOT NULL,
        issuer      text        NOT NULL
      )`);
    await q.query(`CREATE INDEX access_report_subject_idx ON access_report (subject, entry_seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE access_report`);
    await q.query(`DROP INDEX access_log_subject_seq_idx`);
  }
}
