import { Inject, Injectable, Logger } from '@nestjs/common';
import { AccessLogAppender, accessEntry, canonicalJson, type AccessContext } from '@broker/access-log';
import type { Auditor } from '@broker/consent';
import { BrokerError, ErrorCode } from '@broker/errors';
import type { Citizen } from './citizen';
import { AccessReportsRepository, type AccessReport } from './access-reports.repository';

export const MAX_REPORT_CHARS = 1000;
const MAX_REPORTS_PAGE = 1000;

/** Accesses that citizens do not recognise: flagged on the citizen page, read by auditors. */
@Injectable()
export class AccessReportsService {
  private readonly logger = new Logger('AccessReports');

  constructor(
    @Inject(AccessReportsRepository) private readonly repo: AccessReportsRepository,
    @Inject(AccessLogAppender) private readonly log: AccessLogAppender,
  ) {}

  /**
   * Flags entry `entryId` with a short text (1 to 1,000 characters). Only an entry about the
   * citizen can be flagged; any other id, existing or not, is NOT_FOUND.
   */
  async report(citizen: Citizen, entryId: string, text: string): Promise<true> {
    const trimmed = text.trim();
    const length = [...trimmed].length;
    if (length < 1 || length > MAX_REPORT_CHARS || trimmed.includes('\u0000')) {
      throw new BrokerError(ErrorCode.BAD_REQUEST, `The text must have 1 to ${MAX_REPORT_CHARS} characters.`);
    }
    const seq = /^[1-9][0-9]{0,18}$/.test(entryId) ? BigInt(entryId) : undefined;
    if (
      seq === undefined ||
      seq > 2n ** 63n - 1n ||
      !(await this.repo.add(citizen.subject, seq, trimmed, citizen.issuer))
    ) {
      throw new BrokerError(ErrorCode.NOT_FOUND, 'No such entry in your access log.');
    }
    this.logger.log('an access was flagged by its citizen');
    return true;
  }

  /** The access context of an auditor reading the flags: no consent, the purpose `audit.reports`. */
  static context(auditor: Auditor, correlationId: string): AccessContext {
    return {
      requesterId: `auditor:${auditor.id}`,
      channel: 'audit',
      correlationId,
      purpose: 'audit.reports',
    };
  }

  /**
   * Flags after `after` (an id), oldest first, restricted to the auditor's members if any. Like
   * every auditor action, the reading is logged first (channel audit, with the filter used).
   */
  async list(
    auditor: Auditor,
    after: string | undefined,
    limit: number | undefined,
    correlationId: string,
  ): Promise<{ reports: AccessReport[]; next: string | null }> {
    if (after !== undefined && !/^[0-9]{1,18}$/.test(after))
      throw new BrokerError(ErrorCode.BAD_REQUEST, 'after is a report id.');
    const n = limit ?? 100;
    if (!Number.isInteger(n) || n < 1 || n > MAX_REPORTS_PAGE)
      throw new BrokerError(ErrorCode.BAD_REQUEST, `limit is an integer in 1..${MAX_REPORTS_PAGE}.`);
    await this.log.append(
      accessEntry(AccessReportsService.context(auditor, correlationId), {
        occurredAt: new Date(),
        subject: null,
        itemsRequested: [],
        outcome: 'DISCLOSED',
        source: 'access-report',
        auditFilter: canonicalJson({
          after: after ?? null,
          limit: n,
          members: auditor.members ? [...auditor.members] : null,
        }),
      }),
    );
    const reports = await this.repo.list(BigInt(after ?? '0'), n, auditor.members);
    return { reports, next: reports.length === n ? reports[reports.length - 1].id : null };
  }
}
