import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode } from '@broker/errors';

const CORRELATION_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

/** A GraphQL-shaped error body, so that even transport refusals carry an extensions.code. */
export function errorBody(
  code: ErrorCode | string,
  message: string,
  details: Record<string, unknown> = {},
): { errors: object[] } {
  return { errors: [{ message, extensions: { code, ...details } }] };
}

/**
 * Transport hooks of the gateway: correlation id on every response, one-operation-per-request,
 * (coded JSON errors for what Fastify refuses before GraphQL runs are GatewayExceptionFilter's).
 */
export function installHttpHooks(app: FastifyInstance, onHttpError: (code: string) => void): void {
  app.decorateRequest('correlationId', '');
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const given = req.headers['x-correlation-id'];
    const id = typeof given === 'string' && CORRELATION_ID.test(given) ? given : randomUUID();
    (req as FastifyRequest & { correlationId: string }).correlationId = id;
    void reply.header('x-correlation-id', id);
  });
  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.url.startsWith('/graphql') && Array.isArray(req.body)) {
      onHttpError(ErrorCode.BATCHING_NOT_SUPPORTED);
      return reply
        .status(400)
        .send(
          errorBody(
            ErrorCode.BATCHING_NOT_SUPPORTED,
            'Batched operations are not accepted: send one operation per request.',
          ),
        );
    }
  });
}
