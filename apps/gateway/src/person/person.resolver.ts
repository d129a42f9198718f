import { Inject, UseGuards } from '@nestjs/common';
import { Args, ID, Info, Query, Resolver } from '@nestjs/graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { PersonDisclosureService, type MemberAccessContext } from '@broker/disclosure';
import { GatewayMetrics } from '../health/gateway-metrics';
import { MemberAccess, MemberAuthGuard } from './member-auth.guard';
import { Person } from './person.model';
import { partialAnswer } from './partial-answer';
import { selectedItems } from './selected-items';

/** Thin transport: translate the GraphQL selection into data items and call the disclosure service. */
@Resolver(() => Person)
@UseGuards(MemberAuthGuard)
export class PersonResolver {
  constructor(
    @Inject(PersonDisclosureService) private readonly disclosure: PersonDisclosureService,
    @Inject(GatewayMetrics) private readonly metrics: GatewayMetrics,
  ) {}

  @Query(() => Person, {
    nullable: true,
    description:
      "Reads a person from the authentic sources (RNPP, CCSS, RCS) the selected fields belong to, in parallel. Needs Authorization (member assertion) and Consent-Token headers; returns only the selected fields, each allowed by the consent scope and the member grant, and logs the access before answering. When one source fails, the other sources' fields are answered and each of its fields carries a SOURCE_UNAVAILABLE error naming the source (extensions.source).",
  })
  async person(
    @Args('matricule', { type: () => ID, description: '13-digit national identification number.' })
    matricule: string,
    @Info() info: GraphQLResolveInfo,
    @MemberAccess() access: MemberAccessContext,
  ): Promise<Record<string, unknown>> {
    const disclosure = await this.disclosure.disclose(access, matricule, selectedItems(info));
    this.metrics.countDisclosure();
    return partialAnswer(disclosure.person, disclosure.failures);
  }
}
