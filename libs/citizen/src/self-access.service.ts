import { Inject, Injectable, Logger } from '@nestjs/common';
import { AccessLogAppender, type NewAccessEntry } from '@broker/access-log';
import { DATA_ITEMS, ITEM_RNPP_FIELDS } from '@broker/data-items';
import { toDisclosed } from '@broker/disclosure';
import { BrokerError, ErrorCode } from '@broker/errors';
import { PERSON_SOURCE, type PersonSource, type RnppPerson } from '@broker/sources';
import { SELF_REQUESTER, type Citizen } from './citizen';

/** The citizen's own record as the page shows it: related persons reduced to their matricules. */
export type OwnRecord = Omit<Partial<RnppPerson>, 'parents' | 'children'> & {
  matricule: string;
  parents?: { matricule: string }[];
  children?: { matricule: string }[];
};

/**
 * Self-access (GDPR art. 15): the citizen's own RNPP record, every data item, fetched through
 * the broker and logged like any access (channel `self`, requester `citizen`), before it leaves.
 */
@Injectable()
export class SelfAccessService {
  private readonly logger = new Logger('SelfAccess');

  constructor(
    @Inject(PERSON_SOURCE) private readonly source: PersonSource,
    @Inject(AccessLogAppender) private readonly log: AccessLogAppender,
  ) {}

  async ownRecord(citizen: Citizen, correlationId: string): Promise<OwnRecord> {
    const occurredAt = new Date();
    const items = [...DATA_ITEMS];
    const base: Omit<NewAccessEntry, 'outcome' | 'itemsDisclosed' | 'reasonCode' | 'source'> = {
      occurredAt,
      channel: 'self',
      memberId: SELF_REQUESTER,
      purpose: null,
      consentIssuer: null,
      consentJti: null,
      subject: citizen.subject,
      itemsRequested: items,
      correlationId,
      jobId: null,
    };
    let out: OwnRecord;
    try {
      const fields = items.flatMap((i) => ITEM_RNPP_FIELDS[i]);
      const record = await this.source.fetchPerson(citizen.subject, fields);
      // built and checked before the entry, as on the members' path: another person's record never leaves
      out = toDisclosed(record, fields, citizen.subject);
    } catch (e) {
      const code = e instanceof BrokerError ? e.code : ErrorCode.INTERNAL_ERROR;
      if (!(e instanceof BrokerError)) this.logger.error(`unexpected failure: ${(e as Error).message}`);
      await this.log.append({
        ...base,
        outcome: 'REFUSED',
        itemsDisclosed: [],
        reasonCode: code,
        source: this.source.name,
      });
      throw e;
    }
    await this.log.append({
      ...base,
      outcome: 'DISCLOSED',
      itemsDisclosed: items,
      reasonCode: null,
      source: this.source.name,
    });
    return out;
  }
}
