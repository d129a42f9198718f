import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The consents the broker has seen (so that a citizen can list them) and the withdrawn ones
 * (by the citizen on the citizen page, or by their issuer). A consent is named by its issuer
 * and jti; a revocation is looked up by jti on every verification, hence the index.
 */
export class ConsentLedger1764000000000 implements MigrationInterface {
  name = 'ConsentLedger1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE consent_record (
        issuer        text        NOT NULL,
        jti           text        NOT NULL,
        subject       text        NOT NULL,
        audience      text        NOT NULL,
        purpose       text        NOT NULL,
        scope         text[]      NOT NULL,
        issued_at     timestamptz NOT NULL,
        expires_at    timestamptz NOT NULL,
        first_seen_at timestamptz NOT NULL,
        last_used_at  timestamptz NOT NULL,
        PRIMARY KEY (issuer, jti)
      )`);
    await q.query(`CREATE INDEX consent_record_subject_idx ON consent_record (subject, first_seen_at)`);
    await q.query(`CREATE INDEX consent_record_jti_idx ON consent_record (jti)`);
    await q.query(`
      CREATE TABLE consent_revocation (
        issuer     text        NOT NULL,
        jti        text        NOT NULL,
        revoked_at timestamptz NOT NULL,
        revoked_by text        NOT NULL CHECK (revoked_by IN ('citizen', 'issuer')),
        PRIMARY KEY (issuer, jti)
      )`);
    await q.query(`CREATE INDEX consent_revocation_jti_idx ON consent_revocation (jti)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE consent_revocation`);
    await q.query(`DROP TABLE consent_record`);
  }
}
