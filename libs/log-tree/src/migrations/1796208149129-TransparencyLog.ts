import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The witnessed transparency log (docs/adr/0010-witnessed-transparency-log.md): a salt on each
 * new access-log entry (null on older ones, whose hashes do not include it), the perfect-subtree
 * hashes of the Merkle tree over the entries (written once, never changed), the integrated tree
 * head, the broker's signed checkpoints and, per witness, the size it last cosigned.
 */
export class TransparencyLog1796208149129 implements MigrationInterface {
  name = 'TransparencyLog1796208149129';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE access_log ADD COLUMN salt text`);
    await q.query(`
      CREATE TABLE log_tree_node (
        level smallint NOT NULL CHECK (level BETWEEN 0 AND 63),
        idx   bigint   NOT NULL CHECK (idx >= 0),
        hash  bytea    NOT NULL CHECK (octet_length(hash) = 32),
        PRIMARY KEY (level, idx)
      )`);
    await q.query(`
      CREATE FUNCTION log_tree_node_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'log_tree_node is append-only (% refused)', TG_OP;
      END $$`);
    await q.query(`
      CREATE TRIGGER log_tree_node_append_only BEFORE UPDATE OR DELETE ON log_tree_node
        FOR EACH ROW EXECUTE FUNCTION log_tree_node_append_only()`);
    await q.query(`
      CREATE TRIGGER log_tree_node_no_truncate BEFORE TRUNCATE ON log_tree_node
        FOR EACH STATEMENT EXECUTE FUNCTION log_tree_node_append_only()`);
    await q.query(`
      CREATE TABLE log_tree_head (
        id         smallint    PRIMARY KEY CHECK (id = 1),
        size       bigint      NOT NULL CHECK (size >= 0),
        root       bytea       NOT NULL CHECK (octet_length(root) = 32),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // the empty tree: its root is SHA-256 of nothing (RFC 9162 §2.1.1)
    await q.query(
      `INSERT INTO log_tree_head (id, size, root) VALUES (1, 0, decode('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'hex'))`,
    );
    await q.query(`
      CREATE TABLE log_checkpoint (
        size          bigint      PRIMARY KEY CHECK (size > 0),
        root          bytea       NOT NULL CHECK (octet_length(root) = 32),
        note          text        NOT NULL,
        published     boolean     NOT NULL DEFAULT false,
        cosigned_note text,
        created_at    timestamptz NOT NULL DEFAULT now(),
        published_at  timestamptz
      )`);
    await q.query(`CREATE INDEX log_checkpoint_published_idx ON log_checkpoint (size) WHERE published`);
    await q.query(`
      CREATE TABLE log_witness_state (
        name        text        PRIMARY KEY,
        size        bigint      NOT NULL CHECK (size >= 0),
        cosignature text,
        updated_at  timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE log_witness_state`);
    await q.query(`DROP TABLE log_checkpoint`);
    await q.query(`DROP TABLE log_tree_head`);
    await q.query(`DROP TABLE log_tree_node`);
    await q.query(`DROP FUNCTION log_tree_node_append_only()`);
    await q.query(`ALTER TABLE access_log DROP COLUMN salt`);
  }
}
