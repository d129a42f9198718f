/**
 * The RNPP's wire format for one natural person, as the simulator serves it at
 * `GET /persons/{matricule}?fields=...` (see contracts/rnpp-openapi.yaml). Only the fields
 * asked for are present in an answer, plus `matricule`.
 */
export interface RnppPerson {
  matricule: string;
  surname: string;
  givenNames: string[];
  /** YYYY-MM-DD; `00` for an unknown month or day, as in the matricule. */
  birthDate: string;
  birthPlace: { locality: string; country: string };
  sex: 'F' | 'M';
  /** ISO 3166-1 alpha-2 codes, the first one being the main nationality. */
  nationalities: string[];
  address: RnppAddress | null;
  civilStatus: 'SINGLE' | 'MARRIED' | 'PARTNERSHIP' | 'DIVORCED' | 'WIDOWED';
  refugeeStatus: 'NONE' | 'REFUGEE' | 'SUBSIDIARY_PROTECTION';
  parents: string[];
  children: string[];
  deathDate: string | null;
  deathPlace: string | null;
  nobleTitle: string | null;
}

export interface RnppAddress {
  street: string;
  houseNumber: string;
  /** `L-` followed by four digits. */
  postalCode: string;
  locality: string;
  commune: string;
  country: string;
}

/** The field names the simulator accepts in `fields=`. */
export const RNPP_FIELDS = [
  'surname',
  'givenNames',
  'birthDate',
  'birthPlace',
  'sex',
  'nationalities',
  'address',
  'civilStatus',
  'refugeeStatus',
  'parents',
  'children',
  'deathDate',
  'deathPlace',
  'nobleTitle',
] as const;
export type RnppField = (typeof RNPP_FIELDS)[number];
