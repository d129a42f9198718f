import { Inject, Injectable } from '@nestjs/common';
import { MemberAuthenticatorService, StaffAuthenticatorService, bearerToken } from '@broker/consent';
import { BrokerError, ErrorCode, isBrokerError } from '@broker/errors';
import { TRUST_REGISTRY, type TrustRegistry } from '@broker/trust';
import type { Citizen } from './citizen';
import { CitizenAuthenticatorService, unverifiedIssuer } from './citizen-authenticator.service';

/**
 * Who may use the citizen operations: a citizen only. A valid member assertion or staff token
 * is FORBIDDEN (authenticated, but not a citizen); any other token, or none, is UNAUTHENTICATED.
 */
@Injectable()
export class CitizenCallerService {
  constructor(
    @Inject(CitizenAuthenticatorService) private readonly citizens: CitizenAuthenticatorService,
    @Inject(MemberAuthenticatorService) private readonly members: MemberAuthenticatorService,
    @Inject(StaffAuthenticatorService) private readonly staff: StaffAuthenticatorService,
    @Inject(TRUST_REGISTRY) private readonly trust: TrustRegistry,
  ) {}

  /** The citizen of `Authorization: Bearer <ID token>`. */
  fromAuthorization(authorization: string | undefined): Promise<Citizen> {
    return this.fromToken(bearerToken(authorization));
  }

  /** The citizen of a bare ID token (Bearer or cookie). */
  async fromToken(token: string | undefined): Promise<Citizen> {
    const iss = unverifiedIssuer(token);
    if (token && iss !== undefined && !this.citizens.claimsProvider(token)) {
      if (this.trust.member(iss)) {
        await this.members.authenticate(`Bearer ${token}`);
        throw forbidden();
      }
      if (this.trust.staffIssuer(iss)) {
        try {
          await this.staff.authenticateAuditor(`Bearer ${token}`);
        } catch (e) {
          if (!isBrokerError(e, ErrorCode.FORBIDDEN)) throw e;
        }
        throw forbidden();
      }
    }
    return this.citizens.authenticateToken(token);
  }
}

function forbidden(): BrokerError {
  return new BrokerError(
    ErrorCode.FORBIDDEN,
    "These operations are a citizen's own: sign in as the citizen (ID token of an identity provider).",
  );
}
