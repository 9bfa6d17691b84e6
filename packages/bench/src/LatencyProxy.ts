import { createServer, Server, Socket, connect } from 'node:net';

interface Traffic {
  sockets: Set<Socket>;
  connections: number;
  bytesFromClients: number;
}

/**
 * A loopback TCP proxy that delays every chunk by `oneWayDelayMs` in each direction, so a
 * local API server looks like one across a WAN (round trip = 2 × delay). It forwards bytes
 * untouched (TLS passes through) and keeps their order.
 */
export class LatencyProxy {
  private constructor(
    private readonly server: Server,
    private readonly traffic: Traffic,
  ) {}

  static async start(options: {
    target: { host: string; port: number };
    oneWayDelayMs: number;
    listenPort?: number;
  }): Promise<LatencyProxy> {
    const { target, oneWayDelayMs } = options;
    const traffic: Traffic = {
      sockets: new Set(),
      connections: 0,
      bytesFromClients: 0,
    };
    const track = (socket: Socket, peer: Socket) => {
      traffic.sockets.add(socket);
      socket.on('close', () => traffic.sockets.delete(socket));
      socket.on('error', () => {
        socket.destroy();
        peer.destroy();
      });
    };
    const delayed = (from: Socket, to: Socket, fromClient: boolean) => {
      from.on('data', chunk => {
        if (fromClient) traffic.bytesFromClients += chunk.length;
        setTimeout(() => {
          if (!to.destroyed) to.write(chunk);
        }, oneWayDelayMs);
      });
      from.on('end', () => setTimeout(() => to.end(), oneWayDelayMs));
    };
    const server = createServer(client => {
      traffic.connections += 1;
      const upstream = connect(target.port, target.host);
      track(client, upstream);
      track(upstream, client);
      delayed(client, upstream, true);
      delayed(upstream, client, false);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.listenPort ?? 0, '127.0.0.1', resolve);
    });
    return new LatencyProxy(server, traffic);
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') {
      throw new Error('proxy is not listening');
    }
    return address.port;
  }

  /** TCP connections accepted so far. */
  get connections(): number {
    return this.traffic.connections;
  }

  /**
   * Bytes received from clients so far. Between two readings, zero means the client sent no
   * request at all (a watch only receives), whatever the TLS inside hides.
   */
  get bytesFromClients(): number {
    return this.traffic.bytesFromClients;
  }

  async stop(): Promise<void> {
    for (const socket of this.traffic.sockets) socket.destroy();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }
}
