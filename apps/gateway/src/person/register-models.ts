import { Field, ObjectType, registerEnumType } from '@nestjs/graphql';
import { AFFILIATION_STATUSES, BUSINESS_ROLES } from '@broker/sources';

/** GraphQL enums straight from the adapters' vocabularies (one list each). */
const asEnum = <T extends string>(values: readonly T[]): Record<T, T> =>
  Object.fromEntries(values.map((v) => [v, v])) as Record<T, T>;

export const AffiliationStatus = asEnum(AFFILIATION_STATUSES);
registerEnumType(AffiliationStatus, {
  name: 'AffiliationStatus',
  description:
    'Social-security status of an affiliation (CCSS): EMPLOYED, SELF_EMPLOYED, PENSIONER, or CO_INSURED (covered through a family member).',
});

export const BusinessRoleName = asEnum(BUSINESS_ROLES);
registerEnumType(BusinessRoleName, {
  name: 'BusinessRoleName',
  description: 'A role held in a company, as the RCS records it.',
});

@ObjectType({ description: 'A social-security affiliation, from the CCSS.' })
export class Affiliation {
  @Field(() => AffiliationStatus) status: string;
  @Field(() => String, { description: 'Name of the employer (or of the pension fund).' })
  employerName: string;
  @Field(() => String, { description: "The employer's 11-digit social-security number (YYYYFFNNNNN)." })
  employerNumber: string;
  @Field(() => String, { description: 'YYYY-MM-DD.' }) startDate: string;
  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD; null while the affiliation is open.' })
  endDate: string | null;
}

@ObjectType({ description: 'A role held in a company registered at the RCS.' })
export class BusinessRole {
  @Field(() => String, { description: "The company's RCS number (B followed by digits)." }) rcsNumber: string;
  @Field(() => String) companyName: string;
  @Field(() => BusinessRoleName) role: string;
  @Field(() => String, { description: 'YYYY-MM-DD.' }) since: string;
}
