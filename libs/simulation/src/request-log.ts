/**
 * Request logging shared by the register simulators: one line per completed request with the
 * route pattern and the status, never the URL nor a header (a URL may hold a matricule, a header a
 * key).
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { logFormatOf } from '@broker/config';
import type { LogFormat } from '@broker/logging';

/** The Fastify `logger` option for a simulator: off by default, and requests serialised without their URL. */
export function simulatorLogger(logger: FastifyServerOptions['logger']): FastifyServerOptions['logger'] {
  if (logger === undefined || logger === false) return false;
  return {
    ...(logger === true ? {} : logger),
    // Whatever else logs a request object, it must not print its URL.
    serializers: {
      ...(logger === true ? {} : logger.serializers),
      req: (req: { method?: string; routeOptions?: { url?: string } }) => ({
        method: req.method,
        route: req.routeOptions?.url,
      }),
    },
  };
}

/** Logs each completed request (Fastify's own request logging is off: it prints the URL). */
export function logCompletedRequests(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? '(no route)',
        statusCode: reply.statusCode,
        responseTimeMs: Math.round(reply.elapsedTime),
      },
      'request completed',
    );
  });
}

/** LOG_FORMAT of a simulator, as the broker reads it (libs/config); a bad value stops its boot. */
export function readLogFormat(env: NodeJS.ProcessEnv): LogFormat {
  const { format, problem } = logFormatOf(env);
  if (problem) throw new RangeError(problem);
  return format;
}
