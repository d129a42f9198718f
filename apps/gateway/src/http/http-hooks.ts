import { randomUUID } from 'node:crypto';
import { Transform } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isLogIdentifier } from '@broker/access-log';
import { BrokerError, ErrorCode } from '@broker/errors';
import { repeatedSingletonHeader } from './singleton-headers';

/** Longest X-Correlation-Id kept as given; otherwise (or outside the log's identifier alphabet) one is generated. */
const MAX_CORRELATION_ID = 128;

/** A GraphQL-shaped error body, so that even transport refusals carry an extensions.code. */
export function errorBody(
  code: ErrorCode | string,
  message: string,
  details: Record<string, unknown> = {},
): { errors: object[] } {
  return { errors: [{ message, extensions: { code, ...details } }] };
}

/** The GraphQL document of a POST body or a GET query string, when there is one. */
function graphqlDocument(req: FastifyRequest): unknown {
  const from = req.method === 'GET' ? req.query : req.body;
  return from && typeof from === 'object' && !Array.isArray(from)
    ? (from as Record<string, unknown>).query
    : undefined;
}

/**
 * Transport hooks of the gateway: repeated singleton headers refused first of all, correlation id
 * on every response, one operation per request, the GraphQL document capped at
 * `maxDocumentBytes` whatever the body limit (large inputs travel in variables). Coded JSON
 * errors for what Fastify refuses before GraphQL runs are GatewayExceptionFilter's.
 */
export function installHttpHooks(
  app: FastifyInstance,
  onHttpError: (code: string) => void,
  maxDocumentBytes: number,
): void {
  app.decorateRequest('correlationId', '');
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    // before authentication, body parsing and GraphQL: a proxy and the broker must never
    // disagree on which of two values counts (the raw list: Node joins or drops repeats)
    const repeated = repeatedSingletonHeader(req.raw.rawHeaders);
    if (repeated) {
      onHttpError(ErrorCode.BAD_REQUEST);
      return reply
        .status(400)
        .header('connection', 'close')
        .send(errorBody(ErrorCode.BAD_REQUEST, `The ${repeated} header is repeated: send it once.`));
    }
    const given = req.headers['x-correlation-id'];
    const id = isLogIdentifier(given, MAX_CORRELATION_ID) ? given : randomUUID();
    (req as FastifyRequest & { correlationId: string }).correlationId = id;
    void reply.header('x-correlation-id', id);
    // the citizen page lives at /me; people type /me/ too
    if (req.method === 'GET' && (req.url === '/me/' || req.url.startsWith('/me/?'))) {
      return reply.redirect(`/me${req.url.slice(4)}`, 308);
    }
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
    const document = req.url.startsWith('/graphql') ? graphqlDocument(req) : undefined;
    if (typeof document === 'string' && Buffer.byteLength(document, 'utf8') > maxDocumentBytes) {
      onHttpError(ErrorCode.REQUEST_TOO_LARGE);
      return reply
        .status(413)
        .send(
          errorBody(
            ErrorCode.REQUEST_TOO_LARGE,
            `The GraphQL document exceeds ${maxDocumentBytes} bytes: send large inputs as variables.`,
          ),
        );
    }
  });
}

/**
 * Two body limits: any request may send up to `smallBytes` (a member's synchronous query needs
 * a few KiB); only a request whose Authorization is a valid member assertion may send more, up to
 * Fastify's own limit (GRAPHQL_MAX_BATCH_BODY_BYTES, a submitPersonBatch of 10,000 consents).
 * So an anonymous client cannot make the gateway read and parse megabytes.
 */
export function installBodyLimits(
  app: FastifyInstance,
  smallBytes: number,
  isMember: (authorization: string | undefined) => Promise<boolean>,
): void {
  app.addHook('preParsing', async (req: FastifyRequest, _reply: FastifyReply, payload) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared <= smallBytes) return payload;
    if (await isMember(req.headers.authorization)) return payload;
    if (Number.isFinite(declared)) throw tooLarge();
    // no length declared (chunked): count as it streams
    let seen = 0;
    const limited = new Transform({
      transform(chunk: Buffer, _enc, done) {
        seen += chunk.length;
        if (seen > smallBytes) done(tooLarge());
        else done(null, chunk);
      },
    });
    return payload.pipe(limited);
  });
}

function tooLarge(): BrokerError {
  return new BrokerError(ErrorCode.REQUEST_TOO_LARGE, 'The request body is too large.');
}
