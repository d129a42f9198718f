/** The roles the RCS records (contracts/rcs-openapi.yaml, Role). */
export const BUSINESS_ROLES = ['MANAGER', 'DIRECTOR', 'PARTNER', 'DAILY_MANAGER', 'AUDITOR'] as const;
export type BusinessRoleName = (typeof BUSINESS_ROLES)[number];

/** One role a person holds in a company, with the GraphQL field names fixed by issue 11. */
export interface BusinessRole {
  /** `B` and up to six digits. */
  rcsNumber: string;
  companyName: string;
  role: BusinessRoleName;
  /** YYYY-MM-DD. */
  since: string;
}
