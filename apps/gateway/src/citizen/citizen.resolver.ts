import { Inject, UseGuards } from '@nestjs/common';
import { Args, ID, Info, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import type { GraphQLResolveInfo } from 'graphql';
import {
  AccessReportsService,
  CitizenAccessLogService,
  CitizenConsentsService,
  SelfAccessService,
  type Citizen,
  type ConsentView as ConsentViewData,
  type MemberView as MemberViewData,
} from '@broker/citizen';
import { LogProofsService } from '@broker/log-tree';
import { Person } from '../person/person.model';
import { partialAnswer } from '../person/partial-answer';
import { CitizenAuthGuard, CorrelationId, SignedInCitizen } from './citizen-auth.guard';
import { selectsPath } from './selects-path';
import { AccessLogConnection, ConsentView, MemberView } from './citizen.model';

/**
 * The citizen page's operations, citizen-only (CitizenAuthGuard): every one acts on the
 * signed-in citizen's own data and takes no argument that could name another citizen.
 */
@Resolver()
@UseGuards(CitizenAuthGuard)
export class CitizenResolver {
  constructor(
    @Inject(CitizenAccessLogService) private readonly log: CitizenAccessLogService,
    @Inject(CitizenConsentsService) private readonly consents: CitizenConsentsService,
    @Inject(AccessReportsService) private readonly reports: AccessReportsService,
    @Inject(SelfAccessService) private readonly self: SelfAccessService,
    @Inject(LogProofsService) private readonly proofs: LogProofsService,
  ) {}

  @Query(() => AccessLogConnection, {
    description:
      'Who used my data: the access-log entries about the signed-in citizen, newest first. `first` is capped at 100; `from` is inclusive, `to` exclusive.',
  })
  async myAccessLog(
    @SignedInCitizen() citizen: Citizen,
    @Args('first', { type: () => Int, nullable: true, defaultValue: 20 }) first: number,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
    @Args('from', { type: () => Date, nullable: true }) from: Date | null,
    @Args('to', { type: () => Date, nullable: true }) to: Date | null,
    @Args('memberId', { type: () => String, nullable: true }) memberId: string | null,
    @Info() info: GraphQLResolveInfo,
  ): Promise<AccessLogConnection> {
    const page = await this.log.page(citizen, { first, after, from, to, memberId });
    // the page holds the citizen's own entries only: their proofs carry nothing of anyone else
    // computed only when asked for: a page of proofs is a few queries per entry
    const proofs = selectsPath(info, ['edges', 'node', 'proof'])
      ? await this.proofs.entryProofs(page.entries.map((e) => e.id))
      : new Map<string, string | null>();
    return {
      edges: page.entries.map((node, i) => ({
        cursor: page.cursors[i],
        node: { ...node, proof: proofs.get(node.id) ?? null },
      })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      totalCount: page.totalCount,
    };
  }

  @Query(() => [ConsentView], {
    description: 'The consents about the signed-in citizen that the broker has seen, most recent first.',
  })
  myConsents(@SignedInCitizen() citizen: Citizen): Promise<ConsentViewData[]> {
    return this.consents.list(citizen);
  }

  @Query(() => Person, {
    description:
      "The signed-in citizen's own data from every register (RNPP, CCSS, RCS), every data item. A self-access: logged like any access (channel self, requester citizen). A register that fails leaves its fields null, each with a SOURCE_UNAVAILABLE error.",
  })
  async myData(
    @SignedInCitizen() citizen: Citizen,
    @CorrelationId() correlationId: string,
  ): Promise<Record<string, unknown>> {
    const read = await this.self.ownRecord(citizen, correlationId);
    return partialAnswer(read.record, read.failures);
  }

  @Query(() => [MemberView], {
    description: "The requesters that appear in the signed-in citizen's access log (for the filter).",
  })
  myMembers(@SignedInCitizen() citizen: Citizen): Promise<MemberViewData[]> {
    return this.log.members(citizen);
  }

  @Mutation(() => ConsentView, {
    description:
      'Withdraws one of my consents: every later request with it is refused (CONSENT_REVOKED). Idempotent; NOT_FOUND for a consent that is not about me.',
  })
  withdrawConsent(
    @SignedInCitizen() citizen: Citizen,
    @Args('jti', { type: () => ID }) jti: string,
  ): Promise<ConsentViewData> {
    return this.consents.withdraw(citizen, jti);
  }

  @Mutation(() => Boolean, {
    description:
      'Flags an entry of my access log that I do not recognise, with a short text (1 to 1,000 characters) for the auditors. NOT_FOUND for an entry that is not about me.',
  })
  reportAccess(
    @SignedInCitizen() citizen: Citizen,
    @Args('entryId', { type: () => ID }) entryId: string,
    @Args('text', { type: () => String }) text: string,
  ): Promise<boolean> {
    return this.reports.report(citizen, entryId, text);
  }
}
