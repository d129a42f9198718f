import { Inject, Injectable, Logger } from '@nestjs/common';
import { isLogIdentifier } from '@broker/access-log';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { BrokerError, ErrorCode } from '@broker/errors';
import { TRUST_REGISTRY, type TrustRegistry } from '@broker/trust';
import { TokenRejected, bearerToken, verifySignedToken } from './signed-token';

/** Longest staff `sub`: `auditor:<issuer>/<sub>` stays within the access log's identifier cap. */
const MAX_STAFF_SUB = 100;

/** An authenticated staff member acting as auditor. */
export interface Auditor {
  /** `<issuer>/<sub>`: who watched, as logged. */
  id: string;
  issuer: string;
  subject: string;
  /** The members whose entries this auditor may see; undefined means all. */
  members?: string[];
}

/**
 * Authenticates auditors: a JWT (typ JWT) from a staff issuer of the trust file, aud = brokerId
 * (one string), with `auditor` among its `roles`, optionally restricted to some `members`. Same
 * RFC 8725 rules and lifetime cap as member assertions (keys only from the trust file, by kid,
 * per-key algorithms; iat required and not in the future; exp - iat at most STAFF_TOKEN_MAX_LIFETIME_S, by default the member assertions' 300 s).
 */
@Injectable()
export class StaffAuthenticatorService {
  private readonly logger = new Logger('StaffAuthenticator');

  constructor(
    @Inject(TRUST_REGISTRY) private readonly trust: TrustRegistry,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  /** Returns the auditor, or throws BrokerError UNAUTHENTICATED (not a valid staff token) or FORBIDDEN (no auditor role). */
  authenticateAuditor(authorization: string | undefined): Promise<Auditor> {
    return this.authenticateStaff(authorization, 'auditor');
  }

  /**
   * A staff member with `role` among the token's roles (`operator`: the read-only queue dashboard,
   * `queue-admin`: its actions), else UNAUTHENTICATED / FORBIDDEN as for auditors.
   */
  async authenticateStaff(
    authorization: string | undefined,
    role: 'auditor' | 'operator' | 'queue-admin',
  ): Promise<Auditor> {
    const token = bearerToken(authorization);
    if (!token) return this.refuse(ErrorCode.UNAUTHENTICATED, 'missing or non-Bearer Authorization header');
    let payload;
    try {
      payload = await verifySignedToken(token, {
        typ: 'JWT',
        keysOf: (iss) => this.trust.staffIssuer(iss)?.keys,
        audience: { id: this.trust.brokerId, form: 'single' },
        clockToleranceS: this.config.clockToleranceS,
        // by default the member assertions' cap (300 s); an operator whose staff identity
        // provider issues longer tokens may raise it, up to an hour (docs/audit.md)
        maxLifetimeS: this.config.maxStaffTokenLifetimeS,
        requiredClaims: ['iss', 'sub', 'aud', 'iat', 'exp'],
      });
    } catch (e) {
      return this.refuse(
        ErrorCode.UNAUTHENTICATED,
        e instanceof TokenRejected ? `${e.reason}: ${e.message}` : 'unverifiable',
      );
    }
    const { iss, sub, roles, members } = payload as {
      iss: string;
      sub: unknown;
      roles?: unknown;
      members?: unknown;
    };
    if (typeof sub !== 'string' || sub === '') return this.refuse(ErrorCode.UNAUTHENTICATED, 'no sub');
    if (!Array.isArray(roles) || !roles.includes(role))
      return this.refuse(ErrorCode.FORBIDDEN, `no ${role} role`);
    if (members !== undefined && !(Array.isArray(members) && members.every((m) => typeof m === 'string'))) {
      return this.refuse(ErrorCode.UNAUTHENTICATED, 'members is not an array of member ids');
    }
    // the auditor is named in access-log entries (`auditor:<iss>/<sub>`): an identifier or nothing
    if (!isLogIdentifier(sub, MAX_STAFF_SUB))
      return this.refuse(ErrorCode.UNAUTHENTICATED, 'sub is not an identifier');
    return { id: `${iss}/${sub}`, issuer: iss, subject: sub, members: members as string[] | undefined };
  }

  private refuse(code: ErrorCode, reason: string): never {
    this.logger.warn(`auditor refused: ${reason}`);
    throw new BrokerError(
      code,
      code === ErrorCode.FORBIDDEN
        ? 'This staff token does not carry the role this needs.'
        : 'The staff token is missing or not valid.',
      {
        reason,
      },
    );
  }
}
