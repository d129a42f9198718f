import { Inject, UseGuards } from '@nestjs/common';
import { Args, ID, Info, Query, Resolver } from '@nestjs/graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { PersonDisclosureService, type AccessContext, type DisclosedPerson } from '@broker/disclosure';
import { GatewayMetrics } from '../health/gateway-metrics';
import { MemberAccess, MemberAuthGuard } from './member-auth.guard';
import { Person } from './person.model';
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
      'Reads a person from the RNPP. Needs Authorization (member assertion) and Consent-Token headers; returns only the selected fields, each allowed by the consent scope and the member grant, and logs the access before answering.',
  })
  async person(
    @Args('matricule', { type: () => ID, description: '13-digit national identification number.' })
    matricule: string,
    @Info() info: GraphQLResolveInfo,
    @MemberAccess() access: AccessContext,
  ): Promise<DisclosedPerson> {
    const person = await this.disclosure.disclose(access, matricule, selectedItems(info));
    this.metrics.countDisclosure();
    return person;
  }
}
