import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  AccessLogAppender,
  logIdentifierOrNull,
  type AccessEntry,
  type NewAccessEntry,
} from '@broker/access-log';
import {
  ConsentExpiredError,
  ConsentRevokedError,
  ConsentVerifierService,
  type Consent,
} from '@broker/consent';
import { BrokerError, ErrorCode } from '@broker/errors';
import { ITEM_RNPP_FIELDS, normaliseItems, type DataItem } from '@broker/data-items';
import { checkMatricule } from '@broker/matricule';
import {
  PERSON_SOURCE,
  rnppAnswerProblem,
  type PersonSource,
  type RnppField,
  type RnppPerson,
} from '@broker/sources';
import type { AccessContext } from './access-context';
import { assertDisclosureAllowed } from './disclosure-policy';

/** What the access log names of a consent. */
type ConsentRef = Pick<Consent, 'purpose' | 'issuer' | 'jti'>;

/** What leaves the broker: only the fetched fields, related persons reduced to their matricules. */
export type DisclosedPerson = Omit<Partial<RnppPerson>, 'parents' | 'children'> & {
  matricule: string;
  parents?: { matricule: string }[];
  children?: { matricule: string }[];
};

/**
 * The once-only path for one person: check the matricule, verify the consent, apply the
 * disclosure rule, fetch only the allowed fields from the authentic source, and make the
 * access-log entry durable before anything is returned. Every decision, disclosure or
 * refusal, leaves exactly one entry.
 */
@Injectable()
export class PersonDisclosureService {
  private readonly logger = new Logger('Disclosure');

  constructor(
    @Inject(ConsentVerifierService) private readonly consents: ConsentVerifierService,
    @Inject(PERSON_SOURCE) private readonly source: PersonSource,
    @Inject(AccessLogAppender) private readonly log: AccessLogAppender,
  ) {}

  /** Discloses `requested` items of the person `rawMatricule` to `ctx.member`, or throws a coded BrokerError. */
  async disclose(
    ctx: AccessContext,
    rawMatricule: unknown,
    requested: Iterable<DataItem>,
  ): Promise<DisclosedPerson> {
    const items = normaliseItems(requested);
    const occurredAt = new Date();
    let subject: string | null = null;
    let consent: Consent | undefined;
    try {
      const checked = checkMatricule(rawMatricule);
      if (!checked.valid) {
        throw new BrokerError(
          ErrorCode.INVALID_MATRICULE,
          'The matricule is not a valid national identification number.',
          {
            problem: checked.problem,
          },
        );
      }
      subject = checked.matricule;
      consent = await this.consents.verify(ctx.consentToken);
      assertDisclosureAllowed(ctx.member, consent, subject, items);
      const fields = items.flatMap((i) => ITEM_RNPP_FIELDS[i]);
      const record = await this.source.fetchPerson(subject, fields);
      // built and checked before the entry: an answer that cannot leave is logged as a refusal
      const person = toDisclosed(record, fields, subject);
      const sealed = await this.log.append(
        this.entry(ctx, occurredAt, items, subject, consent, { outcome: 'DISCLOSED', itemsDisclosed: items }),
      );
      // the consent was withdrawn while the register answered: the entry says so, and so do we
      if (sealed.outcome !== 'DISCLOSED') {
        const { issuer, jti, purpose } = consent;
        throw new LoggedRefusal(new ConsentRevokedError({ issuer, jti, purpose }));
      }
      return person;
    } catch (e) {
      if (e instanceof LoggedRefusal) throw e.error;
      if (e instanceof BrokerError && e.code === ErrorCode.ACCESS_LOG_UNAVAILABLE) throw e;
      const code = e instanceof BrokerError ? e.code : ErrorCode.INTERNAL_ERROR;
      if (!(e instanceof BrokerError))
        this.logger.error(`unexpected failure: ${(e as Error).stack ?? String(e)}`);
      if (e instanceof UnusableSourceAnswer)
        this.logger.warn(`${this.source.name} answer refused: ${e.problem} is not what was asked`);
      // an expired or withdrawn consent is authentic: its issuer, jti and purpose belong in the entry
      const known =
        consent ??
        (e instanceof ConsentExpiredError || e instanceof ConsentRevokedError ? e.consent : undefined);
      await this.logRefusal(ctx, occurredAt, items, subject, known, code);
      throw e;
    }
  }

  private logRefusal(
    ctx: AccessContext,
    occurredAt: Date,
    items: DataItem[],
    subject: string | null,
    consent: ConsentRef | undefined,
    code: ErrorCode,
  ): Promise<AccessEntry> {
    const sourced = code === ErrorCode.PERSON_NOT_FOUND || code === ErrorCode.SOURCE_UNAVAILABLE;
    // no answer leaves without its entry, a refusal included: when it cannot be written the
    // appender's ACCESS_LOG_UNAVAILABLE replaces the refusal
    return this.log.append(
      this.entry(ctx, occurredAt, items, subject, consent, {
        outcome: 'REFUSED',
        itemsDisclosed: [],
        reasonCode: code,
        source: sourced ? this.source.name : null,
      }),
    );
  }

  private entry(
    ctx: AccessContext,
    occurredAt: Date,
    items: DataItem[],
    subject: string | null,
    consent: ConsentRef | undefined,
    outcome: Pick<NewAccessEntry, 'outcome' | 'itemsDisclosed'> &
      Partial<Pick<NewAccessEntry, 'reasonCode' | 'source'>>,
  ): NewAccessEntry {
    return {
      occurredAt,
      channel: ctx.channel,
      memberId: ctx.member.id,
      // a refusal names the consent only with values the log can record (never the bad value)
      purpose: logIdentifierOrNull(consent?.purpose),
      consentIssuer: logIdentifierOrNull(consent?.issuer),
      consentJti: logIdentifierOrNull(consent?.jti),
      subject,
      itemsRequested: items,
      reasonCode: null,
      source: outcome.outcome === 'DISCLOSED' ? this.source.name : null,
      correlationId: ctx.correlationId,
      jobId: ctx.jobId ?? null,
      ...outcome,
    };
  }
}

/** A refusal whose entry is already sealed (not to be logged twice). */
class LoggedRefusal extends Error {
  constructor(readonly error: BrokerError) {
    super(error.message);
  }
}

/** A register answer that is not the person asked for, or not of the expected shape: never disclosed. */
export class UnusableSourceAnswer extends BrokerError {
  constructor(readonly problem: string) {
    super(
      ErrorCode.SOURCE_UNAVAILABLE,
      'The register answered with a record that is not the one asked for; try again later.',
    );
  }
}

/**
 * What leaves the broker for `subject`: checks that the source answered for this person with
 * every field asked, each of its shape (else UnusableSourceAnswer, SOURCE_UNAVAILABLE), then keeps
 * only the fields asked for, whatever else the source sent (defence in depth). The async path uses it too.
 */
export function toDisclosed(
  record: Partial<RnppPerson>,
  fields: readonly RnppField[],
  subject: string,
): DisclosedPerson {
  const problem = rnppAnswerProblem(record, subject, fields);
  if (problem) throw new UnusableSourceAnswer(problem);
  const picked = Object.fromEntries(
    Object.entries(record).filter(([k]) => (fields as readonly string[]).includes(k)),
  ) as Partial<RnppPerson>;
  const { parents, children, ...rest } = picked;
  const out: DisclosedPerson = { ...rest, matricule: subject };
  if (parents) out.parents = parents.map((m) => ({ matricule: m }));
  if (children) out.children = children.map((m) => ({ matricule: m }));
  return out;
}
