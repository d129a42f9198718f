import {
  Inject,
  Injectable,
  createParamDecorator,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { CitizenCallerService, type Citizen } from '@broker/citizen';
import type { GatewayContext } from '../graphql/gateway-context';

/**
 * Lets a resolver run only for a signed-in citizen (ID token as Bearer): a member or staff token
 * is FORBIDDEN, anything else UNAUTHENTICATED. GraphQL takes the Bearer header only, never the
 * page's cookie, so that no cross-site request can act for the citizen.
 */
@Injectable()
export class CitizenAuthGuard implements CanActivate {
  constructor(@Inject(CitizenCallerService) private readonly callers: CitizenCallerService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const ctx = GqlExecutionContext.create(context).getContext<GatewayContext>();
    ctx.citizen = await this.callers.fromAuthorization(ctx.authorization);
    return true;
  }
}

/** The signed-in citizen (after CitizenAuthGuard). */
export const SignedInCitizen = createParamDecorator((_: unknown, context: ExecutionContext): Citizen => {
  const ctx = GqlExecutionContext.create(context).getContext<GatewayContext>();
  if (!ctx.citizen) throw new Error('SignedInCitizen used without CitizenAuthGuard');
  return ctx.citizen;
});

/** The request's correlation id. */
export const CorrelationId = createParamDecorator(
  (_: unknown, context: ExecutionContext): string =>
    GqlExecutionContext.create(context).getContext<GatewayContext>().correlationId,
);
