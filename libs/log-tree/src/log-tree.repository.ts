import type { DataSource, QueryRunner } from 'typeorm';
import type { TreeNode, TreeNodeId } from '@broker/transparency';

/** The integrated tree: its size and root. */
export interface TreeHead {
  size: number;
  root: Buffer;
}

/** A checkpoint the broker signed; `cosignedNote` once published (the note with the witnesses' lines). */
export interface StoredCheckpoint {
  size: number;
  root: Buffer;
  note: string;
  published: boolean;
  cosignedNote: string | null;
  createdAt: Date;
}

/** What the broker remembers of one witness: the size it last cosigned. */
export interface WitnessState {
  name: string;
  size: number;
  cosignature: string | null;
}

/** A stored node is missing: the tree is not complete where a proof or the frontier needs it. */
export class MissingTreeNodeError extends Error {
  constructor(node: TreeNodeId) {
    super(`tree node (level ${node.level}, index ${node.index}) is missing`);
    this.name = 'MissingTreeNodeError';
  }
}

type Runner = DataSource | QueryRunner;

interface CheckpointRow {
  size: string;
  root: Buffer;
  note: string;
  published: boolean;
  cosigned_note: string | null;
  created_at: Date;
}

function toCheckpoint(r: CheckpointRow): StoredCheckpoint {
  return {
    size: Number(r.size),
    root: r.root,
    note: r.note,
    published: r.published,
    cosignedNote: r.cosigned_note,
    createdAt: r.created_at,
  };
}

/** SQL of the transparency log's tables (log_tree_node, log_tree_head, log_checkpoint, log_witness_state). */
export class LogTreeRepository {
  constructor(private readonly ds: DataSource) {}

  /** The integrated tree head. */
  async head(q?: Runner): Promise<TreeHead> {
    const rows: { size: string; root: Buffer }[] = await (q ?? this.ds).query(
      'SELECT size, root FROM log_tree_head WHERE id = 1',
    );
    if (rows.length !== 1) throw new Error('log_tree_head is missing: migrations not applied?');
    return { size: Number(rows[0].size), root: rows[0].root };
  }

  /** The hashes of these perfect subtrees, in the order asked (one query); throws when one is missing. */
  async nodes(ids: readonly TreeNodeId[], q?: Runner): Promise<Buffer[]> {
    if (ids.length === 0) return [];
    const rows: { level: number; idx: string; hash: Buffer }[] = await (q ?? this.ds).query(
      `SELECT n.level, n.idx, n.hash FROM log_tree_node n
         JOIN unnest($1::smallint[], $2::bigint[]) AS want(level, idx) USING (level, idx)`,
      [ids.map((i) => i.level), ids.map((i) => String(i.index))],
    );
    const found = new Map(rows.map((r) => [`${r.level}/${r.idx}`, r.hash]));
    return ids.map((id) => {
      const hash = found.get(`${id.level}/${id.index}`);
      if (!hash) throw new MissingTreeNodeError(id);
      return hash;
    });
  }

  /**
   * Inside the caller's transaction: stores the newly completed nodes (a node already there is an
   * error, never overwritten) and moves the head from `from` to `to`; throws when the head is no
   * longer at `from` (another integrator moved it).
   */
  async advance(q: QueryRunner, from: number, to: TreeHead, completed: readonly TreeNode[]): Promise<void> {
    const SLICE = 5000;
    for (let i = 0; i < completed.length; i += SLICE) {
      const part = completed.slice(i, i + SLICE);
      await q.query(
        'INSERT INTO log_tree_node (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])',
        [part.map((n) => n.level), part.map((n) => String(n.index)), part.map((n) => n.hash)],
      );
    }
    const moved: unknown[] = await q.query(
      'UPDATE log_tree_head SET size = $1, root = $2, updated_at = now() WHERE id = 1 AND size = $3 RETURNING size',
      [String(to.size), to.root, String(from)],
    );
    // TypeORM answers an UPDATE ... RETURNING with [rows, count]
    const rows = Array.isArray(moved[0]) ? (moved[0] as unknown[]) : moved;
    if (rows.length !== 1) throw new Error(`the tree head is no longer at size ${from}`);
  }

  /** Stores a signed checkpoint (unpublished); a second one at the same size is ignored. */
  async insertCheckpoint(c: { size: number; root: Buffer; note: string }, q?: Runner): Promise<void> {
    await (q ?? this.ds).query(
      'INSERT INTO log_checkpoint (size, root, note) VALUES ($1, $2, $3) ON CONFLICT (size) DO NOTHING',
      [String(c.size), c.root, c.note],
    );
  }

  /** Marks a checkpoint published with its cosigned note. */
  async publish(size: number, cosignedNote: string, q?: Runner): Promise<void> {
    await (q ?? this.ds).query(
      'UPDATE log_checkpoint SET published = true, cosigned_note = $2, published_at = now() WHERE size = $1',
      [String(size), cosignedNote],
    );
  }

  /** The checkpoint of the largest size (published or not). */
  async latestCheckpoint(q?: Runner): Promise<StoredCheckpoint | null> {
    const rows: CheckpointRow[] = await (q ?? this.ds).query(
      'SELECT size, root, note, published, cosigned_note, created_at FROM log_checkpoint ORDER BY size DESC LIMIT 1',
    );
    return rows[0] ? toCheckpoint(rows[0]) : null;
  }

  /** The checkpoint of this size, if the broker signed one. */
  async checkpointAt(size: number, q?: Runner): Promise<StoredCheckpoint | null> {
    const rows: CheckpointRow[] = await (q ?? this.ds).query(
      'SELECT size, root, note, published, cosigned_note, created_at FROM log_checkpoint WHERE size = $1',
      [String(size)],
    );
    return rows[0] ? toCheckpoint(rows[0]) : null;
  }

  /** The published checkpoint of the largest size. */
  async latestPublished(q?: Runner): Promise<StoredCheckpoint | null> {
    const rows: CheckpointRow[] = await (q ?? this.ds).query(
      `SELECT size, root, note, published, cosigned_note, created_at FROM log_checkpoint
        WHERE published ORDER BY size DESC LIMIT 1`,
    );
    return rows[0] ? toCheckpoint(rows[0]) : null;
  }

  /** What the broker remembers of each witness. */
  async witnessStates(q?: Runner): Promise<WitnessState[]> {
    const rows: { name: string; size: string; cosignature: string | null }[] = await (q ?? this.ds).query(
      'SELECT name, size, cosignature FROM log_witness_state',
    );
    return rows.map((r) => ({ name: r.name, size: Number(r.size), cosignature: r.cosignature }));
  }

  /** Records the size a witness cosigned (never lowered: a later answer for a smaller size is ignored). */
  async saveWitnessState(s: WitnessState, q?: Runner): Promise<void> {
    await (q ?? this.ds).query(
      `INSERT INTO log_witness_state (name, size, cosignature) VALUES ($1, $2, $3)
       ON CONFLICT (name) DO UPDATE SET size = EXCLUDED.size, cosignature = EXCLUDED.cosignature, updated_at = now()
       WHERE log_witness_state.size <= EXCLUDED.size`,
      [s.name, String(s.size), s.cosignature],
    );
  }
}
