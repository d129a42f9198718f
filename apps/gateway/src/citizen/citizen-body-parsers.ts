import { Inject, Injectable, UnsupportedMediaTypeException, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';

const MAX_BODY_BYTES = 16 * 1024;

/** A body type the route does not take (answered 415 BAD_REQUEST by the exception filter). */
function unsupported(): Error {
  return new UnsupportedMediaTypeException('this route does not take this content type');
}

function routeOf(req: FastifyRequest): string {
  return req.url.split('?')[0];
}

/**
 * The compact JWS body of `POST /consents/revocations` (application/jose or application/jwt;
 * text/plain is Fastify's own). Every other route still refuses these types. Forms
 * (`POST /me/session` from an identity provider's form_post) are parsed by Nest's Fastify adapter.
 */
@Injectable()
export class CitizenBodyParsers implements OnModuleInit {
  constructor(@Inject(HttpAdapterHost) private readonly host: HttpAdapterHost) {}

  onModuleInit(): void {
    const app = this.host.httpAdapter.getInstance<FastifyInstance>();
    for (const type of ['application/jose', 'application/jwt']) {
      app.addContentTypeParser(type, { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (req, body, done) => {
        if (routeOf(req) !== '/consents/revocations') return done(unsupported(), undefined);
        done(null, body);
      });
    }
  }
}
