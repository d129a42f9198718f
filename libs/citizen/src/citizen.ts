/** A citizen signed in with an ID token of a trusted identity provider. */
export interface Citizen {
  /** The citizen's matricule (the ID token's `sub`): never written to application logs. */
  subject: string;
  /** The identity provider that signed the ID token. */
  issuer: string;
  /** The ID token's `exp` (epoch seconds): nothing derived from it may outlive it. */
  expiresAt: number;
}

/** The member id under which a citizen's own reads (myData) are logged: the citizen is the requester. */
export const SELF_REQUESTER = 'citizen';
