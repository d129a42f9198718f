import { Inject, Injectable, Logger } from '@nestjs/common';
import { AccessLogAppender, accessEntry, type AccessContext } from '@broker/access-log';
import { DATA_ITEMS, type DataItem } from '@broker/data-items';
import { BrokerError, ErrorCode } from '@broker/errors';
import { PersonSourcesService, refusedRead, type SourceFailure } from '@broker/sources';
import { SELF_REQUESTER, type Citizen } from './citizen';

/** The citizen's own record as the page shows it: every field answered, from every register. */
export type OwnRecord = Record<string, unknown> & { matricule: string };

/** The citizen's own look: the fields answered and the registers that failed (their fields are missing). */
export interface OwnRecordRead {
  record: OwnRecord;
  failures: SourceFailure[];
}

/**
 * Self-access (GDPR art. 15): the citizen's own data from every register, every data item,
 * fetched through the broker and logged like any access (channel `self`, requester `citizen`),
 * before it leaves. A register that fails loses its own fields only, as on the members' path.
 */
@Injectable()
export class SelfAccessService {
  private readonly logger = new Logger('SelfAccess');

  constructor(
    @Inject(PersonSourcesService) private readonly sources: PersonSourcesService,
    @Inject(AccessLogAppender) private readonly log: AccessLogAppender,
  ) {}

  /** The access context of a citizen's own look. */
  static context(correlationId: string): AccessContext {
    return { requesterId: SELF_REQUESTER, channel: 'self', correlationId };
  }

  async ownRecord(citizen: Citizen, correlationId: string): Promise<OwnRecordRead> {
    const ctx = SelfAccessService.context(correlationId);
    const occurredAt = new Date();
    const items = [...DATA_ITEMS];
    const subject = citizen.subject;
    try {
      // each answer is checked by its adapter before the entry: another person's record never leaves
      const read = await this.sources.read(subject, items);
      await this.log.append(
        accessEntry(ctx, {
          occurredAt,
          subject,
          itemsRequested: items,
          outcome: 'DISCLOSED',
          itemsFailed: read.failures.flatMap((f) => f.items) as DataItem[],
          sources: read.sources,
        }),
      );
      return { record: read.values, failures: read.failures };
    } catch (e) {
      if (e instanceof BrokerError && e.code === ErrorCode.ACCESS_LOG_UNAVAILABLE) throw e;
      const code = e instanceof BrokerError ? e.code : ErrorCode.INTERNAL_ERROR;
      if (!(e instanceof BrokerError)) this.logger.error(`unexpected failure: ${(e as Error).message}`);
      const read = refusedRead(e);
      await this.log.append(
        accessEntry(ctx, {
          occurredAt,
          subject,
          itemsRequested: items,
          outcome: 'REFUSED',
          reasonCode: code,
          itemsFailed: read.itemsFailed as DataItem[],
          sources: read.sources,
        }),
      );
      throw e;
    }
  }
}
