import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Registry } from 'prom-client';
import { ConfigError } from '@broker/config';
import { METRICS_REGISTRY } from './metrics-registry';

/** The metrics listener's address: loopback only, whatever GATEWAY_HOST (the scraper runs beside the gateway). */
export const METRICS_HOST = '127.0.0.1';

/** Where a process's metrics listener opens: the Nest token METRICS_LISTENER. */
export interface MetricsListenerOptions {
  port: number;
  /** The port was set by the operator: a port in use then stops the process; the default falls back to a free port. */
  explicit: boolean;
  /** The variable that sets it (METRICS_PORT, WORKER_METRICS_PORT), named in errors and logs. */
  variable: string;
}

export const METRICS_LISTENER = Symbol('METRICS_LISTENER');

/**
 * `GET /metrics` (Prometheus text, from the application's registry) on its own listener,
 * 127.0.0.1:<port>, so that no public port ever shows operational figures. Opens when the
 * application starts (before the gateway's public port), closes with it. The gateway and the
 * worker each have one (METRICS_PORT, WORKER_METRICS_PORT).
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnModuleDestroy {
  private server?: Server;

  constructor(
    @Inject(METRICS_LISTENER) private readonly options: MetricsListenerOptions,
    @Inject(METRICS_REGISTRY) private readonly registry: Registry,
  ) {}

  /** `http://127.0.0.1:<port>/metrics` once listening (the actual port when METRICS_PORT=0). */
  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('the metrics listener is not open');
    return `http://${METRICS_HOST}:${address.port}/metrics`;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { port, variable } = this.options;
    try {
      this.server = await this.listen(port);
      new Logger('Metrics').log(`metrics on ${this.url}`);
    } catch (e) {
      const inUse = (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
      // an operator's port is kept or the process stops; the default port may be held by
      // another gateway or worker on the same machine (the demo beside a second one): take any
      // free port and say where, rather than refuse to serve
      if (!inUse || this.options.explicit) {
        throw new ConfigError([
          inUse
            ? `${variable} ${port} is already in use on ${METRICS_HOST} (another process on this machine? set ${variable} to a free port, or 0 for any)`
            : `${variable} ${port}: cannot listen on ${METRICS_HOST} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
        ]);
      }
      this.server = await this.listen(0);
      new Logger('Metrics').warn(
        `metrics on ${this.url}: the default port ${port} is in use (set ${variable} to choose one)`,
      );
    }
  }

  private async listen(port: number): Promise<Server> {
    const server = createServer((req, res) => void this.answer(req, res));
    server.requestTimeout = 10_000;
    server.headersTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, METRICS_HOST, () => resolve());
    });
    return server;
  }

  async onModuleDestroy(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') return this.plain(res, 404, 'NOT_FOUND: only /metrics here\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.plain(res, 405, 'METHOD_NOT_ALLOWED\n');
    try {
      const text = await this.registry.metrics();
      res.writeHead(200, {
        'content-type': this.registry.contentType,
        'content-length': Buffer.byteLength(text),
        'cache-control': 'no-store',
      });
      res.end(req.method === 'HEAD' ? undefined : text);
    } catch (e) {
      new Logger('Metrics').error(`metrics failed: ${(e as Error).message}`);
      this.plain(res, 500, 'INTERNAL: metrics failed\n');
    }
  }

  private plain(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  }
}
