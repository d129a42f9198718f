import { Field, ID, Int, ObjectType } from '@nestjs/graphql';

@ObjectType({ description: 'An administration (or another requester) as the citizen page names it.' })
export class MemberView {
  @Field(() => ID) id: string;
  @Field(() => String, { description: 'Name from the trust configuration (the id when none).' }) name: string;
}

@ObjectType({ description: 'A text in the four languages of the citizen page (null where not configured).' })
export class LocalizedText {
  @Field(() => String, { nullable: true }) en: string | null;
  @Field(() => String, { nullable: true }) fr: string | null;
  @Field(() => String, { nullable: true }) de: string | null;
  @Field(() => String, { nullable: true }) lb: string | null;
}

@ObjectType({ description: 'A purpose (procedure) code with its human-readable labels.' })
export class PurposeView {
  @Field(() => String) code: string;
  @Field(() => LocalizedText) labels: LocalizedText;
}

@ObjectType({
  description:
    'The items of one access-log entry that one register holds, and those it did not deliver (its answer failed).',
})
export class EntrySource {
  @Field(() => String, { description: "The register's short name, as in `sources` (rnpp, ccss, rcs)." })
  source: string;
  @Field(() => [String], { description: 'The requested data items this register holds, in catalogue order.' })
  items: string[];
  @Field(() => [String], { description: 'Those of `items` the register did not deliver.' })
  failedItems: string[];
}

@ObjectType({ description: 'An authentic source (register) of the broker, named for the citizen page.' })
export class SourceView {
  @Field(() => String, {
    description: 'Short name, as in access-log entries and errors (`extensions.source`).',
  })
  name: string;
  @Field(() => LocalizedText, { description: 'The register named in words, in the four languages.' })
  titles: LocalizedText;
  @Field(() => [String], { description: 'Its data items, in catalogue order.' })
  items: string[];
}

@ObjectType({ description: 'One access-log entry about the signed-in citizen.' })
export class AccessLogEntryView {
  @Field(() => ID, { description: "The entry's sequence number in the access log." }) id: string;
  @Field(() => Date) occurredAt: Date;
  @Field(() => String, { description: 'sync | async | self | audit' }) channel: string;
  @Field(() => MemberView, { description: 'Who asked.' }) member: MemberView;
  @Field(() => PurposeView, { nullable: true, description: 'Null when the request named no purpose.' })
  purpose: PurposeView | null;
  @Field(() => [String], { description: 'Data items asked for.' }) itemsRequested: string[];
  @Field(() => [String], { description: 'Data items given (none when refused).' }) itemsDisclosed: string[];
  @Field(() => String, { description: 'DISCLOSED | REFUSED' }) outcome: string;
  @Field(() => String, { nullable: true, description: 'The refusal code, e.g. CONSENT_REVOKED.' })
  reasonCode: string | null;
  @Field(() => [EntrySource], {
    description:
      'Per register, in catalogue order: the requested items it holds and those it did not deliver. A register asked without any item (the matricule alone) has none; an entry that read no register has no source.',
  })
  sources: EntrySource[];
  @Field(() => String, { nullable: true }) consentJti: string | null;
  @Field(() => String, { nullable: true }) consentIssuer: string | null;
  @Field(() => String, { nullable: true }) jobId: string | null;
  @Field(() => Boolean, { description: 'The citizen already flagged this entry.' }) reported: boolean;
  @Field(() => String, {
    nullable: true,
    description:
      "A C2SP tlog-proof (c2sp.org/tlog-proof@v1) that this entry is in the public transparency log: its `extra` line is the entry's leaf bytes (base64), then the leaf index, the inclusion hashes and the latest published checkpoint with its witness cosignatures. Checkable offline (`npm run cli -- proof verify`). Null until a published checkpoint covers the entry.",
  })
  proof?: string | null;
}

@ObjectType()
export class AccessLogEdge {
  @Field(() => String) cursor: string;
  @Field(() => AccessLogEntryView) node: AccessLogEntryView;
}

@ObjectType()
export class PageInfo {
  @Field(() => Boolean) hasNextPage: boolean;
  @Field(() => String, { nullable: true }) endCursor: string | null;
}

@ObjectType({ description: "A page of the citizen's access log, newest first (Relay connection)." })
export class AccessLogConnection {
  @Field(() => [AccessLogEdge]) edges: AccessLogEdge[];
  @Field(() => PageInfo) pageInfo: PageInfo;
  @Field(() => Int, { description: 'Entries matching the filter, all pages together.' }) totalCount: number;
}

@ObjectType({ description: 'A consent about the signed-in citizen that the broker has seen.' })
export class ConsentView {
  @Field(() => ID) jti: string;
  @Field(() => String, { description: 'The consent issuer id.' }) issuer: string;
  @Field(() => String, { description: 'The consent issuer name from the trust configuration.' })
  issuerName: string;
  @Field(() => MemberView, { description: 'The receiver (the consent audience).' }) member: MemberView;
  @Field(() => PurposeView) purpose: PurposeView;
  @Field(() => [String], { description: 'The data items consented to.' }) scope: string[];
  @Field(() => Date) issuedAt: Date;
  @Field(() => Date) expiresAt: Date;
  @Field(() => String, { description: 'ACTIVE | EXPIRED | WITHDRAWN' }) status: string;
  @Field(() => Date, { nullable: true }) withdrawnAt: Date | null;
  @Field(() => String, { nullable: true, description: 'citizen | issuer, when withdrawn.' })
  withdrawnBy: string | null;
  @Field(() => Date) firstSeenAt: Date;
  @Field(() => Date, { nullable: true }) lastUsedAt: Date | null;
}
