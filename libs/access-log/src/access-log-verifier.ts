import type { DataSource } from 'typeorm';
import { withTransaction } from '@broker/database';
import { ChainWalker, type ChainBreak } from './access-chain';
import type { AccessEntry } from './access-entry';
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
 * Walks the chain up to the head read when it starts, in keyset pages of `pageSize` entries,
 * each page its own short statement: no snapshot is held for the whole walk, so a long
 * verification neither holds back VACUUM nor pins a connection in a transaction. Entries
 * appended meanwhile lie beyond that head and are not part of this verification; entries up to
 * it are append-only (a trigger refuses changes), so pages read at different moments still
 * describe one chain. Memory stays constant.
 */
export async function verifyAccessLog(
  ds: DataSource,
  repo: AccessLogRepository,
  onProgress?: (checked: number, total: bigint) => void | Promise<void>,
  pageSize = PAGE,
  /** Sees every page in order, after the chain walker (the transparency log's leaves are hashed here). */
  onPage?: (page: readonly AccessEntry[]) => void,
): Promise<VerifyReport> {
  const head = await withTransaction(ds, (q) => repo.head(q));
  const walker = new ChainWalker();
  let after: { seq: bigint; occurredAt: Date | null } = { seq: 0n, occurredAt: null };
  for (;;) {
    const page = await repo.exportPage({}, after, head.seq, pageSize);
    for (const e of page) walker.push(e);
    onPage?.(page);
    await onProgress?.(walker.entries, head.seq);
    if (page.length < pageSize) break;
    const last = page[page.length - 1];
    after = { seq: BigInt(last.seq), occurredAt: last.occurredAt };
  }
  walker.finish(head);
  if (!walker.firstBreak) walker.firstBreak = await tailBreak(ds, repo, head);
  const brk = walker.firstBreak;
  return {
    ok: brk === null,
    entries: walker.entries,
    head: head.hash,
    firstBroken: brk ? Number(brk.seq) : null,
    problem: brk,
  };
}

/**
 * Rows beyond the recorded head (there should be none: an append moves the head in the same
 * transaction), read with the head as it is now in one short snapshot, so that appends made
 * during the walk are not mistaken for them; and a head that went back or changed its hash.
 */
async function tailBreak(
  ds: DataSource,
  repo: AccessLogRepository,
  walked: { seq: bigint; hash: string },
): Promise<ChainBreak | null> {
  const { now, above } = await withTransaction(
    ds,
    async (q) => {
      const now = await repo.head(q);
      return { now, above: await repo.countAbove(q, now.seq) };
    },
    'REPEATABLE READ',
  );
  if (now.seq < walked.seq || (now.seq === walked.seq && now.hash !== walked.hash))
    return { seq: now.seq.toString(), reason: 'head-mismatch' };
  if (above > 0) return { seq: (now.seq + 1n).toString(), reason: 'head-mismatch' };
  return null;
}
