import { Inject, Injectable, Logger } from '@nestjs/common';
import { AccessLogAppender, accessEntry, type AccessDecision, type ConsentRef } from '@broker/access-log';
import {
  ConsentExpiredError,
  ConsentRevokedError,
  ConsentVerifierService,
  type Consent,
} from '@broker/consent';
import { BrokerError, ErrorCode } from '@broker/errors';
import { normaliseItems, type DataItem } from '@broker/data-items';
import { checkMatricule } from '@broker/matricule';
import { RequestRateLimiter } from '@broker/quota';
import { PersonSourcesService, refusedRead, type SourceFailure } from '@broker/sources';
import type { MemberAccessContext } from './access-context';
import { assertDisclosureAllowed } from './disclosure-policy';

/** What leaves the broker: the matricule and the fields of the items disclosed, from every source asked. */
export type DisclosedPerson = Record<string, unknown> & { matricule: string };

/** A disclosure, possibly partial: the fields answered and the sources that failed (their fields are missing). */
export interface Disclosure {
  person: DisclosedPerson;
  failures: SourceFailure[];
}

/**
 * The once-only path for one person: count the request against the member's quota, check the
 * matricule, verify the consent, apply the disclosure rule to every item asked whatever its
 * source, read only those items from their sources in parallel, and make the access-log entry
 * durable before anything is returned. Every decision, disclosure (full or partial) or refusal,
 * leaves exactly one entry, naming the source of each item and the items that failed.
 */
@Injectable()
export class PersonDisclosureService {
  private readonly logger = new Logger('Disclosure');

  constructor(
    @Inject(ConsentVerifierService) private readonly consents: ConsentVerifierService,
    @Inject(PersonSourcesService) private readonly sources: PersonSourcesService,
    @Inject(AccessLogAppender) private readonly log: AccessLogAppender,
    @Inject(RequestRateLimiter) private readonly quota: RequestRateLimiter,
  ) {}

  /** Discloses `requested` items of the person `rawMatricule` to `ctx.member`, or throws a coded BrokerError. */
  async disclose(
    ctx: MemberAccessContext,
    rawMatricule: unknown,
    requested: Iterable<DataItem>,
  ): Promise<Disclosure> {
    const items = normaliseItems(requested);
    const occurredAt = new Date();
    let subject: string | null = null;
    let consent: Consent | undefined;
    let limitedUnder: ConsentRef | undefined;
    // the quota's Redis round trip runs while the consent is verified (neither discloses
    // anything); its refusal still comes first, whatever the matricule or the consent
    const admission = this.quota.admit(ctx.member);
    try {
      const checked = checkMatricule(rawMatricule);
      const verifying = checked.valid ? settle(this.consents.verify(ctx.consentToken)) : undefined;
      const limited = await admission;
      if (checked.valid) subject = checked.matricule;
      if (limited) {
        // an authentic consent (even expired or withdrawn) is named in the refusal's entry
        const verified = await verifying;
        if (verified && 'consent' in verified) consent = verified.consent;
        else limitedUnder = authenticConsentOf(verified?.error);
        throw limited;
      }
      if (!checked.valid) {
        throw new BrokerError(
          ErrorCode.INVALID_MATRICULE,
          'The matricule is not a valid national identification number.',
          { problem: checked.problem },
        );
      }
      subject = checked.matricule;
      consent = unsettle(await (verifying as Promise<Settled<Consent>>));
      assertDisclosureAllowed(ctx.member, consent, subject, items);
      // each answer is checked by its adapter before the entry: an answer that cannot leave is a failure
      const read = await this.sources.read(subject, items);
      const failed = read.failures.flatMap((f) => f.items) as DataItem[];
      for (const f of read.failures)
        this.logger.warn(
          `${f.source} failed for ${f.items.join(',')} (${String(f.error.details?.problem ?? f.error.code)}): partial answer`,
        );
      const sealed = await this.log.append(
        accessEntry(ctx, {
          occurredAt,
          subject,
          itemsRequested: items,
          outcome: 'DISCLOSED',
          itemsFailed: failed,
          sources: read.sources,
          consent: consentRef(consent),
        }),
      );
      // the consent was withdrawn while the registers answered: the entry says so, and so do we
      if (sealed.outcome !== 'DISCLOSED')
        throw new LoggedRefusal(new ConsentRevokedError(consentRef(consent)));
      return { person: read.values, failures: read.failures };
    } catch (e) {
      if (e instanceof LoggedRefusal) throw e.error;
      if (e instanceof BrokerError && e.code === ErrorCode.ACCESS_LOG_UNAVAILABLE) throw e;
      const code = e instanceof BrokerError ? e.code : ErrorCode.INTERNAL_ERROR;
      if (!(e instanceof BrokerError))
        this.logger.error(`unexpected failure: ${(e as Error).stack ?? String(e)}`);
      // an expired or withdrawn consent is authentic: its issuer, jti and purpose belong in the entry
      const known = consent ?? limitedUnder ?? authenticConsentOf(e);
      await this.log.append(accessEntry(ctx, refusal(occurredAt, subject, items, known, code, e)));
      throw e;
    }
  }
}

/** The consent an expired or withdrawn consent's refusal names (it is authentic), else undefined. */
function authenticConsentOf(e: unknown): ConsentRef | undefined {
  return e instanceof ConsentExpiredError || e instanceof ConsentRevokedError ? e.consent : undefined;
}

type Settled<T> = { consent: T } | { error: unknown };

/** A promise that never rejects, so that it may be awaited later (or not at all) without an unhandled rejection. */
function settle<T>(p: Promise<T>): Promise<Settled<T>> {
  return p.then(
    (consent) => ({ consent }),
    (error: unknown) => ({ error }),
  );
}

function unsettle<T>(s: Settled<T>): T {
  if ('error' in s) throw s.error;
  return s.consent;
}

function consentRef(c: ConsentRef): ConsentRef {
  return { purpose: c.purpose, issuer: c.issuer, jti: c.jti };
}

/** The refusal's decision: a register's answer (not found, every source failed) names its source. */
function refusal(
  occurredAt: Date,
  subject: string | null,
  items: DataItem[],
  consent: ConsentRef | undefined,
  code: ErrorCode,
  e: unknown,
): AccessDecision {
  const read = refusedRead(e);
  return {
    occurredAt,
    subject,
    itemsRequested: items,
    outcome: 'REFUSED',
    reasonCode: code,
    itemsFailed: read.itemsFailed as DataItem[],
    sources: read.sources,
    consent: consent ? consentRef(consent) : null,
  };
}

/** A refusal whose entry is already sealed (not to be logged twice). */
class LoggedRefusal extends Error {
  constructor(readonly error: BrokerError) {
    super(error.message);
  }
}
