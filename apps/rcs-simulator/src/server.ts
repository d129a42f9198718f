/**
 * HTTP face of the RCS simulator: plain Fastify, like the RNPP simulator. Register routes require
 * the API key in `X-Api-Key`; `/health` and `/_sim/knobs` do not. Errors are RFC 9457 problem
 * details. Logs carry the route pattern and the status, never the URL (it holds a matricule) nor a
 * header (one holds the key).
 */
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import { checkMatricule } from '@broker/matricule';
import {
  addKnobRoutes,
  drawn,
  initialKnobs,
  type InvalidParam,
  logCompletedRequests,
  simulateLatency,
  simulatorLogger,
} from '@broker/simulation';
import { API_KEY_HEADER, apiKeyMatches } from './api-key';
import type { RoleRegister } from './business-roles';

export interface SimulatorKnobs {
  /** Delay added before answering a register route, in milliseconds. */
  latencyMs: number;
  /** Probability in 0..1 that a register route answers 503 instead. */
  failureRate: number;
}

const RATES = ['failureRate'] as const;

export interface SimulatorOptions extends Partial<SimulatorKnobs> {
  register: RoleRegister;
  apiKey: string;
  /** Passed to Fastify; default off. */
  logger?: FastifyServerOptions['logger'];
  /** Source of randomness for simulated failures; default Math.random. */
  random?: () => number;
}

const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function sendProblem(reply: FastifyReply, status: number, detail?: string, invalidParams?: InvalidParam[]) {
  return reply
    .code(status)
    .type(PROBLEM_CONTENT_TYPE)
    .send({
      type: 'about:blank',
      title: TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error'),
      status,
      ...(detail === undefined ? {} : { detail }),
      ...(invalidParams === undefined ? {} : { invalidParams }),
    });
}

/** Builds the simulator's Fastify instance (not listening yet). */
export function buildSimulator(options: SimulatorOptions): FastifyInstance {
  const { register, apiKey } = options;
  const random = options.random ?? Math.random;
  const knobs: SimulatorKnobs = initialKnobs(
    { latencyMs: options.latencyMs, failureRate: options.failureRate },
    RATES,
  );

  const app = Fastify({
    logger: simulatorLogger(options.logger),
    logController: new LogController({ disableRequestLogging: true }),
  });

  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route === undefined || route === '/health' || route.startsWith('/_sim/')) return;
    await simulateLatency(knobs);
    // The credential is checked before the failure knob: a wrong key is refused whatever the knobs.
    if (!apiKeyMatches(apiKey, request.headers[API_KEY_HEADER])) {
      reply.header('www-authenticate', 'ApiKey header="X-Api-Key"');
      const missing = request.headers[API_KEY_HEADER] === undefined;
      return sendProblem(
        reply,
        401,
        missing ? 'Send the API key in the X-Api-Key header' : 'Invalid API key',
      );
    }
    if (drawn(knobs.failureRate, random)) {
      return sendProblem(reply, 503, 'Simulated failure (failureRate knob)');
    }
  });

  logCompletedRequests(app);

  app.setNotFoundHandler((_request, reply) => sendProblem(reply, 404, 'No such route'));

  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, request, reply) => {
    const status =
      error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600
        ? error.statusCode
        : 500;
    if (status >= 500) {
      request.log.error(
        { route: request.routeOptions.url, code: error.code, message: error.message },
        'request failed',
      );
    }
    return sendProblem(reply, status, status < 500 ? error.message : undefined);
  });

  app.get('/health', async () => ({ status: 'ok', persons: register.size }));

  addKnobRoutes(app, knobs, RATES, (reply, invalid) => sendProblem(reply, 400, 'Invalid knobs', invalid));

  app.get('/persons/:matricule/roles', async (request, reply) => {
    const { matricule } = request.params as { matricule: string };
    const check = checkMatricule(matricule);
    if (!check.valid) {
      return sendProblem(reply, 400, 'Invalid request', [
        { name: 'matricule', reason: `${check.problem}: not a valid matricule` },
      ]);
    }
    const roles = register.rolesOf(matricule);
    if (roles === undefined) return sendProblem(reply, 404, 'No person with this matricule in the register');
    return { matricule, roles };
  });

  return app;
}
