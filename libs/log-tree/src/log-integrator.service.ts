import { Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { DataSource, QueryRunner } from 'typeorm';
import { leafBytes, type AccessLogRepository } from '@broker/access-log';
import { releaseQueryRunner, sqlState } from '@broker/database';
import {
  appendLeaves,
  consistencyProof,
  frontierNodes,
  frontierOf,
  frontierRoot,
  leafHash,
  signCheckpoint,
  type Ed25519NoteSigner,
  type Frontier,
} from '@broker/transparency';
import type { LogTreeRepository } from './log-tree.repository';
import type { WitnessClient, WitnessOutcome } from './witness-client';

/** One lock key for the whole broker: one integrator works at a time across gateway processes. */
export const LOG_INTEGRATOR_LOCK = 746_100_412;

export interface LogIntegratorOptions {
  /** The checkpoint origin: the broker id (also the note key's name). */
  origin: string;
  intervalMs: number;
  /** Distinct witness cosignatures needed to publish. */
  quorum: number;
  /** Entries read (and committed to the tree) per page. */
  pageSize?: number;
  /** Pages per tick at most, so that a large backlog still yields to checkpoints. */
  maxPagesPerTick?: number;
  /** Least time between two witness rounds for the same checkpoint (a refusing witness is not hammered). */
  witnessRetryMs?: number;
}

/** What this process's integrator knows of one witness (only the active integrator asks them). */
export interface WitnessStatus {
  name: string;
  state: 'unknown' | 'cosigning' | 'refusing' | 'unreachable';
  /** The size it last cosigned. */
  size: number;
  reason?: string;
  /** Cosignature requests it refused or did not answer, since this process started (metrics). */
  failures: number;
}

/** This process's integrator, for readiness and metrics. */
export interface IntegratorStatus {
  role: 'active' | 'standby' | 'stopped';
  /** The integrated tree size as this integrator last saw it (active only). */
  integratedSize: number;
  lastError: string | null;
  witnesses: WitnessStatus[];
}

/**
 * The transparency log's integrator (docs/adr/0010-witnessed-transparency-log.md). In every gateway,
 * a loop every `intervalMs`; one is active across processes, the holder of a session-level
 * advisory lock on its own connection (the others stand by and try the lock each tick). The
 * active one reads the entries after the integrated size in seq order, hashes their leaves
 * outside any lock, stores the completed perfect subtrees and the new head in one transaction,
 * signs a checkpoint and has the witnesses cosign it (in the background: a slow witness never
 * delays integration); a checkpoint is published once `quorum` witnesses cosigned it.
 * All its reads and writes go through the lock's connection: a lost connection loses the lock
 * and the work together, and the next tick starts over from the stored nodes.
 */
export class LogIntegrator implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('LogIntegrator');
  private q: QueryRunner | null = null;
  private active = false;
  private frontier: Frontier | null = null;
  private signedSize = 0;
  private publishedSize = 0;
  private witnessing = false;
  private lastWitnessRound = { size: 0, at: 0 };
  private readonly witnessState = new Map<string, WitnessStatus>();
  private witnessStateLoaded = false;
  private running = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private lastError: string | null = null;
  private readonly pageSize: number;
  private readonly maxPages: number;
  private readonly witnessRetryMs: number;

  constructor(
    /** The pool the lock connection is taken from (kept for the process's life while active). */
    private readonly ds: DataSource,
    private readonly tree: LogTreeRepository,
    private readonly entries: AccessLogRepository,
    private readonly signer: Ed25519NoteSigner,
    private readonly witnesses: readonly WitnessClient[],
    private readonly opts: LogIntegratorOptions,
  ) {
    this.pageSize = opts.pageSize ?? 2000;
    this.maxPages = opts.maxPagesPerTick ?? 10;
    this.witnessRetryMs = opts.witnessRetryMs ?? 1000;
    for (const w of witnesses)
      this.witnessState.set(w.name, { name: w.name, state: 'unknown', size: 0, failures: 0 });
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** Starts the loop (idempotent). */
  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs);
    this.timer.unref();
    void this.tick();
  }

  /** Stops the loop and gives the lock back (its connection is closed). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    while (this.running || this.witnessing) await new Promise((r) => setTimeout(r, 10));
    const q = this.q;
    if (q && this.active) {
      // at once, so that a standby takes over without waiting for the server to see the close
      try {
        await q.query('SELECT pg_advisory_unlock($1)', [LOG_INTEGRATOR_LOCK]);
      } catch {
        // closed below all the same
      }
    }
    await this.drop(new Error('integrator stopped'));
  }

  status(): IntegratorStatus {
    return {
      role: this.stopped ? 'stopped' : this.active ? 'active' : 'standby',
      integratedSize: this.frontier?.size ?? 0,
      lastError: this.lastError,
      witnesses: [...this.witnessState.values()].map((w) => ({ ...w })),
    };
  }

  /** True when this process holds the lock (tests, metrics). */
  get isActive(): boolean {
    return this.active;
  }

  /** One round: take or check the lock, integrate what is new, sign and witness a checkpoint. */
  async tick(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = true;
    try {
      const q = await this.connection();
      if (!this.active) {
        const rows: { ok: boolean }[] = await q.query('SELECT pg_try_advisory_lock($1) AS ok', [
          LOG_INTEGRATOR_LOCK,
        ]);
        if (!rows[0]?.ok) return;
        this.active = true;
        this.frontier = null;
        this.logger.log('this process integrates the transparency log (others stand by)');
      }
      await this.integrate(q);
      await this.checkpoint(q);
      this.lastError = null;
    } catch (e) {
      this.lastError = (e as Error).message;
      this.logger.error(`transparency log integration failed: ${this.lastError}`);
      // the connection's state is unknown: close it (releasing the lock); the next tick starts over
      await this.drop(e);
    } finally {
      this.running = false;
    }
  }

  private async connection(): Promise<QueryRunner> {
    if (this.q) return this.q;
    const q = this.ds.createQueryRunner();
    try {
      await q.connect();
    } catch (e) {
      await releaseQueryRunner(q, e);
      throw e;
    }
    this.q = q;
    return q;
  }

  private async drop(cause: unknown): Promise<void> {
    const q = this.q;
    this.q = null;
    this.active = false;
    this.frontier = null;
    this.witnessStateLoaded = false;
    // never back to the pool with the lock: a non-SQL error makes releaseQueryRunner close it
    if (q) await releaseQueryRunner(q, sqlState(cause) ? new Error('closing the lock connection') : cause);
  }

  /** Adds the entries after the integrated size to the tree, a page per transaction. */
  private async integrate(q: QueryRunner): Promise<void> {
    if (!this.frontier) {
      const head = await this.tree.head(q);
      const frontier = frontierOf(head.size, await this.tree.nodes(frontierNodes(head.size), q));
      if (!frontierRoot(frontier).equals(head.root))
        throw new Error(`the stored nodes of size ${head.size} do not make the stored root`);
      this.frontier = frontier;
    }
    for (let page = 0; page < this.maxPages; page++) {
      const from = this.frontier.size;
      const batch = await this.entries.entriesAfter(q, BigInt(from), this.pageSize);
      if (batch.length === 0) return;
      // log order is seq order: a missing or repeated seq is a rewritten log, never skipped over
      batch.forEach((e, i) => {
        if (e.seq !== String(from + i + 1))
          throw new Error(`access log entry ${from + i + 1} is missing (found seq ${e.seq}): not integrated`);
      });
      const appended = appendLeaves(
        this.frontier,
        batch.map((e) => leafHash(leafBytes(e))),
      );
      await q.startTransaction('READ COMMITTED');
      try {
        await this.tree.advance(
          q,
          from,
          { size: appended.frontier.size, root: appended.root },
          appended.completed,
        );
        await q.commitTransaction();
      } catch (e) {
        if (q.isTransactionActive) await q.rollbackTransaction().catch(() => undefined);
        throw e;
      }
      this.frontier = appended.frontier;
      if (batch.length < this.pageSize) return;
    }
  }

  /** Signs a checkpoint of the integrated size when it grew, and starts a witness round when one is due. */
  private async checkpoint(q: QueryRunner): Promise<void> {
    const frontier = this.frontier;
    if (!frontier || frontier.size === 0) return;
    if (this.signedSize === 0) {
      const [latest, published] = [await this.tree.latestCheckpoint(q), await this.tree.latestPublished(q)];
      this.signedSize = latest?.size ?? 0;
      this.publishedSize = published?.size ?? 0;
    }
    let note: string | null = null;
    if (this.signedSize < frontier.size) {
      const root = frontierRoot(frontier);
      note = signCheckpoint(
        { origin: this.opts.origin, size: frontier.size, rootHash: root, extensions: [] },
        this.signer,
      );
      await this.tree.insertCheckpoint({ size: frontier.size, root, note }, q);
      this.signedSize = frontier.size;
    }
    if (this.publishedSize >= this.signedSize || this.witnessing) return;
    const due =
      this.lastWitnessRound.size !== this.signedSize ||
      Date.now() - this.lastWitnessRound.at >= this.witnessRetryMs;
    if (!due) return;
    if (note === null) note = (await this.tree.latestCheckpoint(q))?.note ?? null;
    if (note === null) return;
    const cp = { size: this.signedSize, note };
    this.lastWitnessRound = { size: cp.size, at: Date.now() };
    this.witnessing = true;
    void this.witness(cp).finally(() => (this.witnessing = false));
  }

  /** Asks every witness at once; publishes with the cosignatures once the quorum is reached. */
  private async witness(cp: { size: number; note: string }): Promise<void> {
    try {
      if (!this.witnessStateLoaded) {
        for (const s of await this.tree.witnessStates()) {
          const w = this.witnessState.get(s.name);
          if (w) w.size = s.size;
        }
        this.witnessStateLoaded = true;
      }
      const proofFrom = (old: number, size: number) =>
        consistencyProof(old, size, (ids) => this.tree.nodes(ids));
      const outcomes = await Promise.all(
        this.witnesses.map(
          async (c) => [c, await c.cosign(cp, this.witnessState.get(c.name)?.size ?? 0, proofFrom)] as const,
        ),
      );
      let note = cp.note;
      let cosigned = 0;
      for (const [client, outcome] of outcomes) {
        this.record(client.name, cp.size, outcome);
        if (outcome.kind !== 'cosigned') continue;
        cosigned++;
        // each witness's lines, already verified by its client, added to the note in trust-file order
        note += outcome.note.slice(cp.note.length);
        await this.tree.saveWitnessState({
          name: client.name,
          size: cp.size,
          cosignature: outcome.cosignature,
        });
      }
      if (cosigned >= this.opts.quorum) {
        await this.tree.publish(cp.size, note);
        this.publishedSize = Math.max(this.publishedSize, cp.size);
      }
    } catch (e) {
      this.logger.error(`witnessing checkpoint ${cp.size} failed: ${(e as Error).message}`);
    }
  }

  private record(name: string, size: number, outcome: WitnessOutcome): void {
    const w = this.witnessState.get(name);
    if (!w) return;
    const before = w.state;
    if (outcome.kind === 'cosigned') {
      w.state = 'cosigning';
      w.size = size;
      delete w.reason;
    } else {
      w.state = outcome.kind === 'refused' ? 'refusing' : 'unreachable';
      w.reason = outcome.reason;
      w.failures++;
    }
    if (w.state !== before && w.state !== 'cosigning')
      this.logger.warn(`witness ${name} is ${w.state}: ${outcome.kind === 'cosigned' ? '' : outcome.reason}`);
    else if (w.state !== before) this.logger.log(`witness ${name} cosigns (size ${size})`);
  }
}
