import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { GqlContextType } from '@nestjs/graphql';
import type { FastifyReply } from 'fastify';
import { ErrorCode } from '@broker/errors';
import { errorBody } from './http-hooks';

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
