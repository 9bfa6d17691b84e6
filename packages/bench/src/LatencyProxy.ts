import { createServer, Server, Socket, connect } from 'node:net';

/**
 * A loopback TCP proxy that delays every chunk by `oneWayDelayMs` in each direction, so a
 * local API server looks like one across a WAN (round trip = 2 × delay). It forwards bytes
 * untouched (TLS passes through) and keeps their order.
 */
export class LatencyProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #connections = 0;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(options: {
    target: { host: string; port: number };
    oneWayDelayMs: number;
    listenPort?: number;
  }): Promise<LatencyProxy> {
    const { target, oneWayDelayMs } = options;
    let proxy: LatencyProxy | undefined;
    const server = createServer(client => {
      proxy!.#connections += 1;
      const upstream = connect(target.port, target.host);
      for (const socket of [client, upstream]) {
        proxy!.#sockets.add(socket);
        socket.on('close', () => proxy!.#sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      const delayed = (from: Socket, to: Socket) => {
        from.on('data', chunk => {
          setTimeout(() => {
            if (!to.destroyed) to.write(chunk);
          }, oneWayDelayMs);
        });
        from.on('end', () => setTimeout(() => to.end(), oneWayDelayMs));
      };
      delayed(client, upstream);
      delayed(upstream, client);
    });
    proxy = new LatencyProxy(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listenPort ?? 0, '127.0.0.1', resolve);
    });
    return proxy;
  }

  get port(): number {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') {
      throw new Error('proxy is not listening');
    }
    return address.port;
  }

  /** TCP connections accepted so far. */
  get connections(): number {
    return this.#connections;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>(resolve => this.#server.close(() => resolve()));
  }
}
