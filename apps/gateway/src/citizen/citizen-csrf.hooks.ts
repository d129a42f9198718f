import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BROKER_CONFIG, type BrokerConfig } from '@broker/config';
import { BrokerError, ErrorCode } from '@broker/errors';
import { isUnsafeMethod, originProblem, ownOrigin, tokensEqual } from '../http/same-origin';
import { STATE_COOKIE, cookieValue } from './citizen-cookie';

/** The header in which the page echoes its state on unsafe /me requests. */
export const CSRF_HEADER = 'x-csrf-token';

function isFormSignIn(req: FastifyRequest, route: string): boolean {
  return (
    req.method === 'POST' &&
    route === '/me/session' &&
    String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
  );
}

/**
 * Every request that changes something under /me (sign-in, demo sign-in, sign-out; the cookie is
 * the citizen's credential there) must come from the gateway's own page: `Origin` equal to the
 * gateway's origin (a missing Origin is refused), and the one-time state of GET
 * /me/session/state echoed in `X-CSRF-Token`, equal to its cookie. An identity provider's form
 * post to /me/session comes from the provider's origin by design: there the state travels as the
 * `state` form field instead, which binds the sign-in to the page that asked for it.
 * Refusals are 403 FORBIDDEN. Routes that do not exist keep their 404.
 */
@Injectable()
export class CitizenCsrfHooks implements OnModuleInit {
  constructor(
    @Inject(HttpAdapterHost) private readonly host: HttpAdapterHost,
    @Inject(BROKER_CONFIG) private readonly config: BrokerConfig,
  ) {}

  onModuleInit(): void {
    const app = this.host.httpAdapter.getInstance<FastifyInstance>();
    app.addHook('preHandler', async (req: FastifyRequest) => {
      const route = req.url.split('?')[0];
      if (!isUnsafeMethod(req.method) || !(route === '/me' || route.startsWith('/me/'))) return;
      if (!req.routeOptions.url) return;
      this.check(req, route);
    });
  }

  private check(req: FastifyRequest, route: string): void {
    const form = isFormSignIn(req, route);
    if (!form) {
      const problem = originProblem(
        req.headers.origin,
        ownOrigin(this.config.publicOrigin, req.protocol, req.headers.host),
      );
      if (problem) throw refused(`${problem}: only the citizen page of this gateway may do this.`);
    }
    const body = req.body as Record<string, unknown> | undefined;
    const given = form ? body?.state : req.headers[CSRF_HEADER];
    if (!tokensEqual(given, cookieValue(req.headers.cookie, STATE_COOKIE)))
      throw refused(
        `Missing or spent state: GET /me/session/state, then send it in ${form ? 'the state field' : 'X-CSRF-Token'}.`,
      );
  }
}

function refused(message: string): BrokerError {
  return new BrokerError(ErrorCode.FORBIDDEN, message);
}
