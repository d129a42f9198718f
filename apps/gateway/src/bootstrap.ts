import 'reflect-metadata';
import type { Socket } from 'node:net';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadBrokerConfig, type BrokerConfig } from '@broker/config';
import { createLogger } from '@broker/logging';
import { ErrorCode } from '@broker/errors';
import { GatewayModule } from './gateway.module';
import { GatewayMetrics } from './health/gateway-metrics';
import { GatewayExceptionFilter } from './http/gateway-exception.filter';
import { errorBody, installBodyLimits, installHttpHooks } from './http/http-hooks';
import type { Queue } from 'bullmq';
import { BullMqDispatcher, CHUNK_DISPATCHER, type ChunkDispatcher } from '@broker/batch';
import { MemberAuthenticatorService, StaffAuthenticatorService } from '@broker/consent';
import { installQueueDashboard } from './ops/queue-dashboard';

/**
 * Requests that Node's HTTP parser refuses never reach Fastify's routing, so no correlation id
 * and no access-log entry. A malformed request (a repeated Content-Length among them) gets the
 * coded JSON of every other BAD_REQUEST, as the repeated-header rule promises. Headers over
 * 16 KiB keep their short text answer with the code, as since issue 3: they are refused at the
 * transport, before the broker has read who asks, and clients tell that apart from the broker's
 * own answers by its being no JSON.
 */
function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) return;
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    const text = 'REQUEST_TOO_LARGE: the request headers exceed 16 KiB\n';
    socket.end(
      `HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
    return;
  }
  const body = JSON.stringify(errorBody(ErrorCode.BAD_REQUEST, 'Malformed HTTP request.'));
  socket.end(
    `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Builds the gateway (not listening yet): used by main.ts, the e2e tests and the benchmark. */
export async function createGateway(
  config: BrokerConfig = loadBrokerConfig(),
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.maxBatchBodyBytes,
    logger: false,
    clientErrorHandler,
  });
  const metricsRef: { current?: GatewayMetrics } = {};
  installHttpHooks(
    adapter.getInstance(),
    (code) => metricsRef.current?.countError(code),
    config.maxDocumentBytes,
  );
  const app = await NestFactory.create<NestFastifyApplication>(GatewayModule.forRoot(config), adapter, {
    logger: createLogger(config, 'gateway'),
    abortOnError: false,
  });
  const members = app.get(MemberAuthenticatorService);
  installBodyLimits(adapter.getInstance(), config.maxBodyBytes, (authorization) =>
    members.authenticate(authorization).then(
      () => true,
      () => false,
    ),
  );
  const dispatcher = app.get<ChunkDispatcher>(CHUNK_DISPATCHER);
  const staff = app.get(StaffAuthenticatorService);
  // export jobs' queue is created at init (it depends on Redis at boot): only batch chunks are shown
  if (dispatcher instanceof BullMqDispatcher) {
    await installQueueDashboard(
      adapter.getInstance(),
      [dispatcher.queue as Queue],
      (authorization, role) => staff.authenticateStaff(authorization, role),
      config.publicOrigin,
    );
  }
  const metrics = app.get(GatewayMetrics);
  metricsRef.current = metrics;
  app.useGlobalFilters(new GatewayExceptionFilter((code) => metrics.countError(code)));
  app.enableShutdownHooks();
  return app;
}

/** Starts the gateway on GATEWAY_HOST:GATEWAY_PORT. */
export async function startGateway(): Promise<NestFastifyApplication> {
  const config = loadBrokerConfig();
  const app = await createGateway(config);
  await app.listen(config.gatewayPort, config.gatewayHost);
  new Logger('Gateway').log(
    `gateway listening on http://${config.gatewayHost}:${config.gatewayPort}/graphql (${config.mode} mode, register ${config.rnppUrl})`,
  );
  return app;
}
