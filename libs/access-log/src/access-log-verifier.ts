import type { DataSource } from 'typeorm';
import { ChainWalker, type ChainBreak } from './access-chain';
import type { AccessLogRepository } from './access-log.repository';

/** Outcome of a full chain walk (the `access-log verify --json` document, plus `problem`). */
export interface VerifyReport {
  ok: boolean;
  entries: number;
  head: string;
  firstBroken: number | null;
  problem: ChainBreak | null;
}

const PAGE = 5000;

/**
 * Walks the whole chain in one REPEATABLE READ snapshot (appends that commit meanwhile are not
 * seen, and the head read at the start bounds the walk), in pages, in constant memory.
 */
export async function verifyAccessLog(
  ds: DataSource,
  repo: AccessLogRepository,
  onProgress?: (checked: number, total: bigint) => void,
): Promise<VerifyReport> {
  const q = ds.createQueryRunner();
  await q.connect();
  try {
    await q.startTransaction('REPEATABLE READ');
    const head = await repo.head(q);
    const walker = new ChainWalker();
    let after: { seq: bigint; occurredAt: Date | null } = { seq: 0n, occurredAt: null };
    for (;;) {
      const page = await repo.exportPage({}, after, head.seq, PAGE, q);
      for (const e of page) walker.push(e);
      onProgress?.(walker.entries, head.seq);
      if (page.length < PAGE) break;
      const last = page[page.length - 1];
      after = { seq: BigInt(last.seq), occurredAt: last.occurredAt };
    }
    walker.finish(head);
    if (!walker.firstBreak && (await repo.countAbove(q, head.seq)) > 0) {
      walker.firstBreak = { seq: (head.seq + 1n).toString(), reason: 'head-mismatch' };
    }
    await q.commitTransaction();
    const brk = walker.firstBreak;
    return {
      ok: brk === null,
      entries: walker.entries,
      head: head.hash,
      firstBroken: brk ? Number(brk.seq) : null,
      problem: brk,
    };
  } finally {
    if (q.isTransactionActive) await q.rollbackTransaction().catch(() => undefined);
    await q.release();
  }
}
