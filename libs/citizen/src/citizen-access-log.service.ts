import { Inject, Injectable } from '@nestjs/common';
import { BrokerError, ErrorCode } from '@broker/errors';
import { TRUST_REGISTRY, type TrustRegistry } from '@broker/trust';
import { decodeCursor, encodeCursor } from './access-log-cursor';
import type { Citizen } from './citizen';
import {
  CitizenAccessLogRepository,
  type CitizenLogFilter,
  type CitizenLogRow,
} from './citizen-access-log.repository';
import {
  entrySources,
  memberView,
  purposeView,
  type CitizenLogEntry,
  type MemberView,
} from './citizen-views';

export const DEFAULT_LOG_PAGE = 20;
/** Largest page of myAccessLog; a larger `first` is capped to it. */
export const MAX_LOG_PAGE = 100;
const DOWNLOAD_PAGE = 500;

/** Arguments of myAccessLog. */
export interface LogPageArgs {
  first?: number | null;
  after?: string | null;
  from?: Date | null;
  to?: Date | null;
  memberId?: string | null;
}

export interface LogPage {
  entries: CitizenLogEntry[];
  cursors: string[];
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount: number;
}

/**
 * A citizen's own access log: only entries whose subject is the signed-in citizen, newest first.
 * Reading it is not itself logged as an access about the citizen: it discloses no register data,
 * only the log of what was disclosed (docs/citizen.md).
 */
@Injectable()
export class CitizenAccessLogService {
  constructor(
    @Inject(CitizenAccessLogRepository) private readonly repo: CitizenAccessLogRepository,
    @Inject(TRUST_REGISTRY) private readonly trust: TrustRegistry,
  ) {}

  /** One page (keyset on seq, opaque cursor) with the total matching the filter. */
  async page(citizen: Citizen, args: LogPageArgs): Promise<LogPage> {
    const first = args.first ?? DEFAULT_LOG_PAGE;
    if (!Number.isInteger(first) || first < 0)
      throw new BrokerError(ErrorCode.BAD_REQUEST, 'first must be a non-negative integer.');
    const limit = Math.min(first, MAX_LOG_PAGE);
    let before: bigint | undefined;
    if (args.after !== undefined && args.after !== null) {
      before = decodeCursor(args.after);
      if (before === undefined)
        throw new BrokerError(ErrorCode.BAD_REQUEST, 'after is not a cursor of this list.');
    }
    const filter = this.filter(args);
    const [rows, totalCount] = await Promise.all([
      this.repo.page(citizen.subject, filter, before, limit + 1),
      this.repo.count(citizen.subject, filter),
    ]);
    const shown = rows.slice(0, limit);
    const cursors = shown.map((r) => encodeCursor(r.seq));
    return {
      entries: shown.map((r) => this.view(r)),
      cursors,
      hasNextPage: rows.length > limit,
      endCursor: cursors.length ? cursors[cursors.length - 1] : null,
      totalCount,
    };
  }

  /** Every entry about the citizen, newest first, in pages (for the downloads). */
  async *all(citizen: Citizen): AsyncGenerator<CitizenLogEntry[]> {
    let before: bigint | undefined;
    for (;;) {
      const rows = await this.repo.page(citizen.subject, {}, before, DOWNLOAD_PAGE);
      if (rows.length) yield rows.map((r) => this.view(r));
      if (rows.length < DOWNLOAD_PAGE) return;
      before = BigInt(rows[rows.length - 1].seq);
    }
  }

  /** The requesters that appear in the citizen's log, by name. */
  async members(citizen: Citizen): Promise<MemberView[]> {
    const ids = await this.repo.memberIds(citizen.subject);
    return ids.map((id) => memberView(this.trust, id)).sort((a, b) => a.name.localeCompare(b.name));
  }

  private filter(args: LogPageArgs): CitizenLogFilter {
    const filter: CitizenLogFilter = {};
    if (args.from) filter.from = args.from;
    if (args.to) filter.to = args.to;
    if (filter.from && filter.to && filter.from > filter.to)
      throw new BrokerError(ErrorCode.BAD_REQUEST, 'from is after to.');
    if (args.memberId !== undefined && args.memberId !== null) {
      if (args.memberId.length > 300) throw new BrokerError(ErrorCode.BAD_REQUEST, 'memberId is too long.');
      filter.memberId = args.memberId;
    }
    return filter;
  }

  private view(r: CitizenLogRow): CitizenLogEntry {
    return {
      id: r.seq,
      occurredAt: r.occurredAt,
      channel: r.channel,
      member: memberView(this.trust, r.memberId),
      purpose: r.purpose === null ? null : purposeView(this.trust, r.purpose),
      itemsRequested: r.itemsRequested,
      itemsDisclosed: r.itemsDisclosed,
      outcome: r.outcome,
      reasonCode: r.reasonCode,
      sources: entrySources(r),
      consentJti: r.consentJti,
      consentIssuer: r.consentIssuer,
      jobId: r.jobId,
      reported: r.reported,
    };
  }
}
