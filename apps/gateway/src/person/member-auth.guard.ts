import {
  Inject,
  Injectable,
  createParamDecorator,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { CitizenAuthenticatorService } from '@broker/citizen';
import { MemberAuthenticatorService, bearerToken } from '@broker/consent';
import type { MemberAccessContext } from '@broker/disclosure';
import { BrokerError, ErrorCode } from '@broker/errors';
import type { GatewayContext } from '../graphql/gateway-context';

/**
 * Lets a resolver run only for an authenticated member (UNAUTHENTICATED otherwise). A valid
 * citizen ID token is FORBIDDEN: a citizen reads their own record with myData, never `person`.
 */
@Injectable()
export class MemberAuthGuard implements CanActivate {
  constructor(
    @Inject(MemberAuthenticatorService) private readonly auth: MemberAuthenticatorService,
    @Inject(CitizenAuthenticatorService) private readonly citizens: CitizenAuthenticatorService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const ctx = GqlExecutionContext.create(context).getContext<GatewayContext>();
    if (this.citizens.claimsProvider(bearerToken(ctx.authorization))) {
      await this.citizens.authenticate(ctx.authorization);
      throw new BrokerError(ErrorCode.FORBIDDEN, 'A citizen ID token may not query person; use myData.');
    }
    ctx.member = (await this.auth.authenticate(ctx.authorization)).member;
    return true;
  }
}

/** The explicit access context of a member's synchronous request (after MemberAuthGuard). */
export const MemberAccess = createParamDecorator(
  (_: unknown, context: ExecutionContext): MemberAccessContext => {
    const ctx = GqlExecutionContext.create(context).getContext<GatewayContext>();
    if (!ctx.member) throw new Error('MemberAccess used without MemberAuthGuard');
    return {
      member: ctx.member,
      requesterId: ctx.member.id,
      channel: 'sync',
      consentToken: ctx.consentToken,
      correlationId: ctx.correlationId,
    };
  },
);
