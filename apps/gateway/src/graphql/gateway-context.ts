import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Citizen } from '@broker/citizen';
import type { Member } from '@broker/trust';

/** Per-request GraphQL context: transport facts only; the member (citizen) is set by MemberAuthGuard (CitizenAuthGuard). */
export interface GatewayContext {
  req: FastifyRequest;
  reply: FastifyReply;
  correlationId: string;
  authorization: string | undefined;
  consentToken: string | undefined;
  member?: Member;
  citizen?: Citizen;
}

/**
 * A header as one string. Node keeps the first Authorization and joins repeated custom headers
 * with ", ", which no valid token contains: a repeated Consent-Token is refused as invalid.
 */
export function headerValue(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/** Builds the context from the Fastify request (Apollo's fastify integration passes request, reply). */
export function buildContext(req: FastifyRequest, reply: FastifyReply): GatewayContext {
  return {
    req,
    reply,
    correlationId: (req as FastifyRequest & { correlationId?: string }).correlationId ?? 'unknown',
    authorization: headerValue(req, 'authorization'),
    consentToken: headerValue(req, 'consent-token'),
  };
}
