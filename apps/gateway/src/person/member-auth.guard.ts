import {
  Inject,
  Injectable,
  createParamDecorator,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { MemberAuthenticatorService } from '@broker/consent';
import type { AccessContext } from '@broker/disclosure';
import type { GatewayContext } from '../graphql/gateway-context';

/** Lets a resolver run only for an authenticated member (UNAUTHENTICATED otherwise). */
@Injectable()
export class MemberAuthGuard implements CanActivate {
  constructor(@Inject(MemberAuthenticatorService) private readonly auth: MemberAuthenticatorService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const ctx = GqlExecutionContext.create(context).getContext<GatewayContext>();
    ctx.member = (await this.auth.authenticate(ctx.authorization)).member;
    return true;
  }
}

/** The explicit access context of a member's synchronous request (after MemberAuthGuard). */
export const MemberAccess = createParamDecorator((_: unknown, context: ExecutionContext): AccessContext => {
  const ctx = GqlExecutionContext.create(context).getContext<GatewayContext>();
  if (!ctx.member) throw new Error('MemberAccess used without MemberAuthGuard');
  return {
    member: ctx.member,
    channel: 'sync',
    consentToken: ctx.consentToken,
    correlationId: ctx.correlationId,
  };
});
