import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import { Affiliation, BusinessRole } from './register-models';

export enum Sex {
  F = 'F',
  M = 'M',
}
export enum CivilStatus {
  SINGLE = 'SINGLE',
  MARRIED = 'MARRIED',
  PARTNERSHIP = 'PARTNERSHIP',
  DIVORCED = 'DIVORCED',
  WIDOWED = 'WIDOWED',
}
export enum RefugeeStatus {
  NONE = 'NONE',
  REFUGEE = 'REFUGEE',
  SUBSIDIARY_PROTECTION = 'SUBSIDIARY_PROTECTION',
}
registerEnumType(Sex, { name: 'Sex', description: 'Sex as recorded in the RNPP.' });
registerEnumType(CivilStatus, {
  name: 'CivilStatus',
  description: 'Civil (family) status; PARTNERSHIP is a declared partnership (PACS).',
});
registerEnumType(RefugeeStatus, { name: 'RefugeeStatus', description: 'International protection status.' });

@ObjectType({ description: 'A place of birth.' })
export class Place {
  @Field(() => String, { nullable: true, description: 'Locality (a Luxembourg commune, or a foreign city).' })
  locality?: string;
  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2 country code.' })
  country?: string;
}

@ObjectType({ description: 'A residence address.' })
export class Address {
  @Field(() => String, { nullable: true }) street?: string;
  @Field(() => String, { nullable: true }) houseNumber?: string;
  @Field(() => String, { nullable: true, description: 'L- followed by four digits.' }) postalCode?: string;
  @Field(() => String, { nullable: true }) locality?: string;
  @Field(() => String, { nullable: true }) commune?: string;
  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2 country code.' }) country?: string;
}

@ObjectType({
  description:
    'A parent or child. Only the matricule is disclosed: the consent covers its subject, not the relatives; to read a relative, query them with a consent naming them.',
})
export class RelatedPerson {
  @Field(() => ID) matricule: string;
}

@ObjectType({
  description:
    'A natural person as recorded in the authentic sources: the RNPP (civil data), the CCSS (affiliations) and the RCS (business roles). Each field belongs to a data item (in brackets) of one source; selecting a field requires its item in both the consent scope and the member grant. When a source fails, its fields are null with a SOURCE_UNAVAILABLE error each. See contracts/data-items.md.',
})
export class Person {
  @Field(() => ID, { description: 'The national identification number (the query input; needs no item).' })
  matricule: string;
  @Field(() => String, { nullable: true, description: '[name]' }) surname?: string;
  @Field(() => [String], { nullable: true, description: '[name] In civil-register order.' })
  givenNames?: string[];
  @Field(() => String, {
    nullable: true,
    description: '[birth] YYYY-MM-DD; 00 stands for an unknown month or day.',
  })
  birthDate?: string;
  @Field(() => Place, { nullable: true, description: '[birth]' }) birthPlace?: Place;
  @Field(() => Sex, { nullable: true, description: '[sex]' }) sex?: Sex;
  @Field(() => [String], { nullable: true, description: '[nationality] ISO 3166-1 alpha-2 codes.' })
  nationalities?: string[];
  @Field(() => Address, { nullable: true, description: '[address]' }) address?: Address | null;
  @Field(() => CivilStatus, { nullable: true, description: '[civilStatus]' }) civilStatus?: CivilStatus;
  @Field(() => RefugeeStatus, { nullable: true, description: '[refugeeStatus]' })
  refugeeStatus?: RefugeeStatus;
  @Field(() => [RelatedPerson], { nullable: true, description: '[filiation]' }) parents?: RelatedPerson[];
  @Field(() => [RelatedPerson], { nullable: true, description: '[filiation]' }) children?: RelatedPerson[];
  @Field(() => String, { nullable: true, description: '[death] YYYY-MM-DD, null while alive.' }) deathDate?:
    string | null;
  @Field(() => String, { nullable: true, description: '[death] Locality of death.' }) deathPlace?:
    string | null;
  @Field(() => String, { nullable: true, description: '[nobleTitle]' }) nobleTitle?: string | null;
  @Field(() => [Affiliation], {
    nullable: true,
    description: '[affiliation] CCSS affiliations, oldest first; an empty list when there is none.',
  })
  affiliations?: Affiliation[];
  @Field(() => [BusinessRole], {
    nullable: true,
    description:
      '[businessRoles] Roles held in companies registered at the RCS; an empty list when there is none.',
  })
  businessRoles?: BusinessRole[];
}
