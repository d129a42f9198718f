/**
 * HTTP face of the CCSS simulator: plain Fastify, like the RNPP simulator. The register speaks
 * SOAP 1.1 at `POST /ccss` (contract: contracts/ccss-affiliations.wsdl, also served at
 * `GET /ccss?wsdl`); the operational routes speak JSON. Logs carry the route and the status, never
 * the body, because the body holds a matricule.
 */
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
import type { AffiliationRegister } from './affiliations';
import {
  affiliationsResponse,
  type Fault,
  faultResponse,
  OPERATION,
  readRequest,
  SOAP_ACTION,
  SOAP_CONTENT_TYPE,
} from './soap-envelope';

/**
 * The test knobs of the CCSS simulator: the RNPP simulator's two (`latencyMs`, `failureRate`), with
 * the same names and ranges, plus `malformedRate` so that an adapter's malformed-XML path can be
 * exercised against the real process.
 */
export interface SimulatorKnobs {
  /** Delay added before answering a SOAP request, in milliseconds. */
  latencyMs: number;
  /** Probability in 0..1 that a SOAP request is answered with a Server fault (HTTP 500). */
  failureRate: number;
  /** Probability in 0..1 that a SOAP request is answered with truncated XML (HTTP 200). */
  malformedRate: number;
}

const RATES = ['failureRate', 'malformedRate'] as const;

export interface SimulatorOptions extends Partial<SimulatorKnobs> {
  register: AffiliationRegister;
  /** Passed to Fastify; default off. */
  logger?: FastifyServerOptions['logger'];
  /** Source of randomness for simulated failures; default Math.random. */
  random?: () => number;
}

export const SOAP_PATH = '/ccss';
const WSDL_FILE = 'ccss-affiliations.wsdl';
/** A GetAffiliations request is a few hundred bytes. */
const BODY_LIMIT = 16_384;
const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The contract, found from the sources (tests) or from dist/ (npm run start:ccss). */
function readWsdl(): string {
  const candidates = [
    join(__dirname, '../../../contracts', WSDL_FILE),
    join(__dirname, '../../../../contracts', WSDL_FILE),
  ];
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) throw new Error(`${WSDL_FILE} not found in ${candidates.join(' or ')}`);
  return readFileSync(found, 'utf8');
}

function sendFault(reply: FastifyReply, fault: Fault): FastifyReply {
  // SOAP 1.1 over HTTP: every fault is a 500, whoever is at fault.
  return reply.code(500).type(SOAP_CONTENT_TYPE).send(faultResponse(fault));
}

function sendProblem(
  reply: FastifyReply,
  status: number,
  title: string,
  detail?: string,
  invalidParams?: InvalidParam[],
) {
  return reply
    .code(status)
    .type(PROBLEM_CONTENT_TYPE)
    .send({
      type: 'about:blank',
      title,
      status,
      ...(detail ? { detail } : {}),
      ...(invalidParams ? { invalidParams } : {}),
    });
}

/** Accepts a missing or empty SOAPAction (many clients send `""`) or the operation's own. */
function soapActionAccepted(header: string | string[] | undefined): boolean {
  if (header === undefined) return true;
  const action = (Array.isArray(header) ? header[0] : header).trim().replace(/^"(.*)"$/, '$1');
  return action === '' || action === SOAP_ACTION || action === OPERATION;
}

/** Builds the simulator's Fastify instance (not listening yet). */
export function buildSimulator(options: SimulatorOptions): FastifyInstance {
  const { register } = options;
  const random = options.random ?? Math.random;
  const knobs: SimulatorKnobs = initialKnobs(
    { latencyMs: options.latencyMs, failureRate: options.failureRate, malformedRate: options.malformedRate },
    RATES,
  );
  const wsdl = readWsdl();

  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    logger: simulatorLogger(options.logger),
    logController: new LogController({ disableRequestLogging: true }),
  });

  app.addContentTypeParser(['text/xml', 'application/xml'], { parseAs: 'string' }, (_request, body, done) =>
    done(null, body),
  );

  logCompletedRequests(app);

  app.setNotFoundHandler((_request, reply) => sendProblem(reply, 404, 'Not Found', 'No such route'));

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
    if (request.routeOptions.url === SOAP_PATH && request.method === 'POST') {
      return sendFault(
        reply,
        status < 500
          ? { faultcode: 'Client', faultstring: `Bad request: ${error.message}`, code: 'MALFORMED_REQUEST' }
          : { faultcode: 'Server', faultstring: 'Internal error', code: 'INTERNAL_ERROR' },
      );
    }
    return sendProblem(
      reply,
      status,
      status < 500 ? 'Bad Request' : 'Internal Server Error',
      status < 500 ? error.message : undefined,
    );
  });

  app.get('/health', async () => ({ status: 'ok', persons: register.size }));

  addKnobRoutes(app, knobs, RATES, (reply, invalid) =>
    sendProblem(reply, 400, 'Bad Request', 'Invalid knobs', invalid),
  );

  const serveWsdl = async (request: { query: unknown }, reply: FastifyReply) => {
    if (!Object.prototype.hasOwnProperty.call(request.query, 'wsdl')) {
      return sendProblem(
        reply,
        404,
        'Not Found',
        `POST SOAP requests to ${SOAP_PATH}; GET ${SOAP_PATH}?wsdl for the contract`,
      );
    }
    return reply.type(SOAP_CONTENT_TYPE).send(wsdl);
  };
  app.get('/', serveWsdl);
  app.get(SOAP_PATH, serveWsdl);

  app.post(SOAP_PATH, async (request, reply) => {
    await simulateLatency(knobs);
    if (drawn(knobs.failureRate, random)) {
      return sendFault(reply, {
        faultcode: 'Server',
        faultstring: 'The register cannot answer now (failureRate knob)',
        code: 'SERVICE_UNAVAILABLE',
      });
    }
    if (typeof request.body !== 'string') {
      return sendFault(reply, {
        faultcode: 'Client',
        faultstring: 'A SOAP 1.1 request is sent as text/xml',
        code: 'MALFORMED_REQUEST',
      });
    }
    if (!soapActionAccepted(request.headers.soapaction)) {
      return sendFault(reply, {
        faultcode: 'Client',
        faultstring: `Unknown SOAPAction: only ${SOAP_ACTION} is offered`,
        code: 'UNKNOWN_OPERATION',
      });
    }
    const parsed = readRequest(request.body);
    if ('fault' in parsed) return sendFault(reply, parsed.fault);
    const check = checkMatricule(parsed.matricule);
    if (!check.valid) {
      return sendFault(reply, {
        faultcode: 'Client',
        faultstring: `Invalid matricule (${check.problem})`,
        code: 'INVALID_MATRICULE',
      });
    }
    const affiliations = register.affiliationsOf(parsed.matricule);
    if (affiliations === undefined) {
      return sendFault(reply, {
        faultcode: 'Client',
        faultstring: 'No person with this matricule in the register',
        code: 'UNKNOWN_MATRICULE',
      });
    }
    const xml = affiliationsResponse(parsed.matricule, affiliations);
    if (drawn(knobs.malformedRate, random)) {
      // Cut inside the answer, as a dropped connection or a broken proxy would.
      return reply.type(SOAP_CONTENT_TYPE).send(xml.slice(0, Math.floor(xml.length / 2)));
    }
    return reply.type(SOAP_CONTENT_TYPE).send(xml);
  });

  return app;
}
