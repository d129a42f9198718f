/** The statuses the CCSS records (contracts/ccss-affiliations.wsdl, AffiliationStatus). */
export const AFFILIATION_STATUSES = ['EMPLOYED', 'SELF_EMPLOYED', 'PENSIONER', 'CO_INSURED'] as const;
export type AffiliationStatus = (typeof AFFILIATION_STATUSES)[number];

/** One social-security affiliation, with the GraphQL field names fixed by issue 11. */
export interface Affiliation {
  status: AffiliationStatus;
  employerName: string;
  /** 11 digits YYYYFFNNNNN. */
  employerNumber: string;
  /** YYYY-MM-DD. */
  startDate: string;
  /** YYYY-MM-DD, or null while the affiliation is open (the register leaves the element out). */
  endDate: string | null;
}
