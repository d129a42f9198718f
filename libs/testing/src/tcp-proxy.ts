import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy the test controls, between a client and PostgreSQL. `stall()` stops forwarding in
 * both directions without closing anything (what a network partition or a frozen server looks
 * like to the client: connections stay open, nothing answers, new ones never complete their
 * handshake); `resume()` forwards again, including what was sent meanwhile. A side that closes
 * closes the other, so the server sees a client that gave up on a connection.
 */
export class TcpProxy {
  private stalled = false;
  private readonly pairs = new Set<{ client: Socket; upstream?: Socket }>();
  private readonly waiting: (() => void)[] = [];

  private constructor(
    private readonly server: Server,
    private readonly target: { host: string; port: number },
  ) {}

  /** Starts a proxy on a free loopback port in front of `target`. */
  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const server = createServer();
    const proxy = new TcpProxy(server, target);
    server.on('connection', (client: Socket) => proxy.accept(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `url` with its host and port replaced by the proxy's. */
  via(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  /** Stops forwarding (open connections stay open; new ones are accepted but not connected upstream). */
  stall(): void {
    this.stalled = true;
    for (const p of this.pairs) {
      p.client.pause();
      p.upstream?.pause();
    }
  }

  /** Forwards again. */
  resume(): void {
    this.stalled = false;
    for (const p of this.pairs) {
      p.client.resume();
      p.upstream?.resume();
    }
    this.waiting.splice(0).forEach((go) => go());
  }

  /** Open client connections (for leak checks). */
  get connections(): number {
    return this.pairs.size;
  }

  async close(): Promise<void> {
    for (const p of this.pairs) {
      p.client.destroy();
      p.upstream?.destroy();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const pair: { client: Socket; upstream?: Socket } = { client };
    this.pairs.add(pair);
    client.pause();
    const drop = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      pair.upstream?.destroy();
    };
    client.on('error', drop);
    client.on('close', drop);
    const open = (): void => {
      if (client.destroyed) return;
      const upstream = connect(this.target.port, this.target.host);
      pair.upstream = upstream;
      upstream.on('error', drop);
      upstream.on('close', drop);
      upstream.on('data', (d) => client.write(d));
      client.on('data', (d) => upstream.write(d));
      upstream.on('connect', () => {
        if (this.stalled) upstream.pause();
        else client.resume();
      });
    };
    if (this.stalled) this.waiting.push(open);
    else open();
  }
}
