import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { GqlContextType } from '@nestjs/graphql';
import type { FastifyReply } from 'fastify';
import { BrokerError, ErrorCode } from '@broker/errors';
import { errorBody } from './http-hooks';

/** HTTP status of a coded error on the REST endpoints (audit export); exhaustive by type. */
const HTTP_STATUS: Record<ErrorCode, number> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.CONSENT_INVALID]: 403,
  [ErrorCode.CONSENT_EXPIRED]: 403,
  [ErrorCode.CONSENT_REVOKED]: 403,
  [ErrorCode.CONSENT_SUBJECT_MISMATCH]: 403,
  [ErrorCode.CONSENT_AUDIENCE_MISMATCH]: 403,
  [ErrorCode.SCOPE_NOT_GRANTED]: 403,
  [ErrorCode.PURPOSE_NOT_ALLOWED]: 403,
  [ErrorCode.INVALID_MATRICULE]: 400,
  [ErrorCode.PERSON_NOT_FOUND]: 404,
  [ErrorCode.SOURCE_UNAVAILABLE]: 503,
  [ErrorCode.ACCESS_LOG_UNAVAILABLE]: 503,
  [ErrorCode.QUERY_TOO_COMPLEX]: 400,
  [ErrorCode.BATCHING_NOT_SUPPORTED]: 400,
  [ErrorCode.REQUEST_TOO_LARGE]: 413,
  [ErrorCode.BAD_REQUEST]: 400,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.LINK_EXPIRED]: 410,
  [ErrorCode.QUEUE_UNAVAILABLE]: 503,
  [ErrorCode.BATCH_TOO_LARGE]: 400,
  [ErrorCode.TOO_MANY_JOBS]: 429,
  [ErrorCode.IDEMPOTENCY_CONFLICT]: 409,
  [ErrorCode.RATE_LIMITED]: 429,
  [ErrorCode.LOG_NOT_PUBLISHED]: 503,
  [ErrorCode.INTERNAL_ERROR]: 500,
};

/**
 * GraphQL: hands every exception back untouched, so that the GraphQL error mapper (the one
 * place that maps codes) sees the original BrokerError, and Nest does not log refusals as
 * crashes. HTTP: what Fastify refuses before GraphQL runs (body size, content type, bad JSON)
 * gets a GraphQL-shaped body with a code instead of a bare status.
 */
@Catch()
export class GatewayExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  constructor(private readonly onHttpError: (code: string) => void) {}

  catch(exception: unknown, host: ArgumentsHost): unknown {
    if (host.getType<GqlContextType>() === 'graphql') return exception;
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (exception instanceof BrokerError) {
      this.onHttpError(exception.code);
      void reply
        .status(HTTP_STATUS[exception.code])
        .send(errorBody(exception.code, exception.message, exception.details));
      return undefined;
    }
    const status = exception instanceof HttpException ? exception.getStatus() : 500;
    let code: string = ErrorCode.INTERNAL_ERROR;
    let message = 'Internal error.';
    if (status === 413) {
      code = ErrorCode.REQUEST_TOO_LARGE;
      message = 'The request body is too large.';
    } else if (status === 404) {
      code = 'NOT_FOUND';
      message = 'No such route.';
    } else if (status >= 400 && status < 500) {
      code = ErrorCode.BAD_REQUEST;
      message = `The request is not a valid GraphQL request: ${(exception as Error).message}`;
    } else {
      this.logger.error(`unexpected HTTP error: ${(exception as Error)?.stack ?? String(exception)}`);
    }
    this.onHttpError(code);
    void reply.status(status >= 500 ? 500 : status).send(errorBody(code, message));
    return undefined;
  }
}
