/**
 * HTTP face of the witness: plain Fastify. `POST /add-checkpoint` (C2SP tlog-witness), `GET /vkey`
 * (its verifier key, text), `GET /checkpoint/<origin>` (an extension: the latest checkpoint it
 * cosigned for that origin, with its cosignature) and `GET /health`. Answers are text, as the protocol's are. The body is
 * read as bytes whatever its content type and must be UTF-8.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import { ADD_CHECKPOINT_PATH, decodeNoteBytes, NoteFormatError } from '@broker/transparency';
import type { WitnessLogger, WitnessService } from './witness.service';

/** The header in which a log offers its vkey, read only for trust on first use (development). */
export const LOG_VKEY_HEADER = 'log-vkey';
/** `GET /checkpoint/<URL-encoded origin>`: the latest checkpoint cosigned for that origin (an extension). */
export const CHECKPOINT_PATH_PREFIX = '/checkpoint/';
/** A request body is a checkpoint with its proof: a few kilobytes at most. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface WitnessServerOptions {
  /** Makes the service with the server's logger. */
  service: (logger: WitnessLogger) => WitnessService;
  name: string;
  mode: 'development' | 'production';
  trustOnFirstUse: boolean;
  logger?: FastifyServerOptions['logger'];
}

const PLAIN = 'text/plain; charset=utf-8';

/** Builds the witness's Fastify instance (not listening yet). */
export function buildWitnessServer(options: WitnessServerOptions): FastifyInstance {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: MAX_BODY_BYTES,
    // one line per request from the onResponse hook below, without Fastify's own two
    logController: new LogController({ disableRequestLogging: true }),
  });
  const service = options.service(app.log);

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? '(no route)',
        statusCode: reply.statusCode,
      },
      'request completed',
    );
  });

  app.setNotFoundHandler((_request, reply) => reply.code(404).type(PLAIN).send('no such route\n'));

  app.setErrorHandler((error: { statusCode?: number; message: string }, request, reply) => {
    const status =
      error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600
        ? error.statusCode
        : 500;
    if (status >= 500) request.log.error({ message: error.message }, 'request failed');
    return reply
      .code(status)
      .type(PLAIN)
      .send(status < 500 ? `${error.message}\n` : 'internal error\n');
  });

  app.post(ADD_CHECKPOINT_PATH, async (request, reply) => {
    let body: string;
    try {
      body = decodeNoteBytes(Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
    } catch (error) {
      if (!(error instanceof NoteFormatError)) throw error;
      return reply.code(400).type(PLAIN).send(`${error.message}\n`);
    }
    const offered = request.headers[LOG_VKEY_HEADER];
    const result = await service.addCheckpoint(body, typeof offered === 'string' ? offered : undefined);
    return reply.code(result.status).type(result.contentType).send(result.body);
  });

  // an extension (C2SP tlog-witness has no read endpoint): the latest checkpoint cosigned for an
  // origin, with the cosignature; the origin URL-encoded (it may hold slashes)
  app.get(`${CHECKPOINT_PATH_PREFIX}*`, async (request, reply) => {
    const raw = (request.params as { '*': string })['*'];
    let origin: string;
    try {
      origin = decodeURIComponent(raw);
    } catch {
      return reply.code(400).type(PLAIN).send('the origin is not URL-encoded UTF-8\n');
    }
    const note = service.latestCosigned(origin);
    if (note === undefined)
      return reply.code(404).type(PLAIN).send(`no checkpoint cosigned for "${origin}"\n`);
    return reply.header('cache-control', 'no-store').type(PLAIN).send(note);
  });

  app.get('/vkey', async (_request, reply) => reply.type(PLAIN).send(`${service.vkey}\n`));

  app.get('/health', async () => ({
    status: 'ok',
    name: options.name,
    mode: options.mode,
    trustOnFirstUse: options.trustOnFirstUse,
    logs: service.logs(),
  }));

  return app;
}
