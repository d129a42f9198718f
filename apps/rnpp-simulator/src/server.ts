/**
 * HTTP face of the RNPP simulator: plain Fastify, no Nest, so that it starts in milliseconds.
 * Errors are RFC 9457 problem details. Logs carry the route pattern and the status, never the URL,
 * because the URL holds a matricule.
 */
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import { checkMatricule, type MatriculeProblem } from '@broker/matricule';
import {
  addKnobRoutes,
  drawn,
  initialKnobs,
  type InvalidParam,
  logCompletedRequests,
  simulateLatency,
  simulatorLogger,
} from '@broker/simulation';
import { RNPP_FIELDS, type RnppField, type RnppPerson } from '../../../libs/sources/src/rnpp/rnpp-person';
import { RNPP_CATALOGUE } from '../../../libs/sources/src/rnpp/rnpp.catalogue';
import type { Population } from './population';

/** The RNPP's data items, accepted in `fields=` for their register fields. */
const RNPP_ITEM_FIELDS = new Map<string, readonly string[]>(
  RNPP_CATALOGUE.items.map((i) => [i.name, i.registerFields]),
);

export interface SimulatorKnobs {
  /** Delay added before answering a register route, in milliseconds. */
  latencyMs: number;
  /** Probability in 0..1 that a register route answers 503 instead. */
  failureRate: number;
}

const RATES = ['failureRate'] as const;

export interface SimulatorOptions {
  population: Population;
  latencyMs?: number;
  failureRate?: number;
  /** Passed to Fastify; default off. Request lines carry the route pattern, never the URL. */
  logger?: FastifyServerOptions['logger'];
  /** Source of randomness for simulated failures; default Math.random. */
  random?: () => number;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  invalidParams?: InvalidParam[];
}

export const MAX_PAGE_SIZE = 1000;
export const DEFAULT_PAGE_SIZE = 100;
const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const KNOWN_FIELDS: ReadonlySet<string> = new Set<string>(['matricule', ...RNPP_FIELDS]);

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const MATRICULE_REASONS: Record<MatriculeProblem, string> = {
  NOT_A_STRING: 'NOT_A_STRING: a matricule is a string',
  BAD_LENGTH: 'BAD_LENGTH: a matricule has 13 digits',
  NOT_DIGITS: 'NOT_DIGITS: a matricule has only the digits 0-9',
  IMPOSSIBLE_DATE: 'IMPOSSIBLE_DATE: the first 8 digits are not a possible birth date',
  FUTURE_DATE: 'FUTURE_DATE: the birth date is in the future',
  BAD_LUHN: 'BAD_LUHN: the 12th digit (Luhn) does not match',
  BAD_VERHOEFF: 'BAD_VERHOEFF: the 13th digit (Verhoeff) does not match',
};

function problem(status: number, detail?: string, invalidParams?: InvalidParam[]): Problem {
  return {
    type: 'about:blank',
    title: TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error'),
    status,
    ...(detail === undefined ? {} : { detail }),
    ...(invalidParams === undefined ? {} : { invalidParams }),
  };
}

function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  return reply.code(p.status).type(PROBLEM_CONTENT_TYPE).send(p);
}

/** Parses `fields=a,b` (or repeated `fields=`; register field or data-item names) into known field names, in RNPP_FIELDS order. */
function parseFields(raw: unknown): { fields: RnppField[] } | { reason: string } {
  if (raw === undefined) return { reason: 'required: a comma-separated list of field names' };
  const joined = Array.isArray(raw) ? raw.join(',') : String(raw);
  if (joined.trim() === '') return { reason: 'must name at least one field' };
  const names = joined.split(',').map((n) => n.trim());
  if (names.some((n) => n === '')) return { reason: 'empty field name in the list' };
  const unknown = names.filter((n) => !KNOWN_FIELDS.has(n) && !RNPP_ITEM_FIELDS.has(n));
  if (unknown.length > 0) {
    return { reason: `unknown field(s): ${unknown.join(', ')}; known: ${RNPP_FIELDS.join(', ')}` };
  }
  // a data-item name (the broker's vocabulary, e.g. `name`) stands for its register fields
  const wanted = new Set(
    names.flatMap((n): readonly string[] => (!KNOWN_FIELDS.has(n) ? (RNPP_ITEM_FIELDS.get(n) ?? [n]) : [n])),
  );
  return { fields: RNPP_FIELDS.filter((f) => wanted.has(f)) };
}

/** Parses an optional non-negative integer query parameter. */
function parseCount(raw: unknown, fallback: number, min: number, max: number): number | string {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^[0-9]{1,15}$/.test(raw)) return `must be an integer in ${min}..${max}`;
  const n = Number(raw);
  return n < min || n > max ? `must be an integer in ${min}..${max}` : n;
}

/** Builds the simulator's Fastify instance (not listening yet). */
export function buildSimulator(options: SimulatorOptions): FastifyInstance {
  const { population } = options;
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
    if (drawn(knobs.failureRate, random)) {
      return sendProblem(reply, problem(503, 'Simulated failure (failureRate knob)'));
    }
  });

  logCompletedRequests(app);

  app.setNotFoundHandler((_request, reply) => sendProblem(reply, problem(404, 'No such route')));

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
    return sendProblem(reply, problem(status, status < 500 ? error.message : undefined));
  });

  app.get('/health', async () => ({ status: 'ok', persons: population.size }));

  addKnobRoutes(app, knobs, RATES, (reply, invalid) =>
    sendProblem(reply, problem(400, 'Invalid knobs', invalid)),
  );

  app.get('/persons', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const offset = parseCount(query.offset, 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = parseCount(query.limit, DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE);
    const invalid: InvalidParam[] = [];
    if (typeof offset === 'string') invalid.push({ name: 'offset', reason: offset });
    if (typeof limit === 'string') invalid.push({ name: 'limit', reason: limit });
    if (typeof offset === 'string' || typeof limit === 'string') {
      return sendProblem(reply, problem(400, 'Invalid paging parameters', invalid));
    }
    return { total: population.size, offset, limit, items: population.list(offset, limit) };
  });

  app.get('/persons/:matricule', async (request, reply) => {
    const { matricule } = request.params as { matricule: string };
    const query = request.query as Record<string, unknown>;
    const invalid: InvalidParam[] = [];
    const check = checkMatricule(matricule);
    if (!check.valid) invalid.push({ name: 'matricule', reason: MATRICULE_REASONS[check.problem] });
    const fields = parseFields(query.fields);
    if ('reason' in fields) invalid.push({ name: 'fields', reason: fields.reason });
    if (invalid.length > 0 || 'reason' in fields) {
      return sendProblem(reply, problem(400, 'Invalid request', invalid));
    }
    const person = population.get(matricule);
    if (person === undefined) {
      return sendProblem(reply, problem(404, 'No person with this matricule in the register'));
    }
    // Data minimisation: only what was asked for leaves the register.
    const answer: Partial<RnppPerson> & Pick<RnppPerson, 'matricule'> = { matricule: person.matricule };
    for (const field of fields.fields) (answer as Record<string, unknown>)[field] = person[field];
    return answer;
  });

  return app;
}
