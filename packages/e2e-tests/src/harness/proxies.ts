import { connect, createServer, Server, Socket } from 'node:net';
import {
  createServer as createHttpServer,
  IncomingMessage,
  request as httpRequest,
  Server as HttpServer,
  ServerResponse,
} from 'node:http';
import { AddressInfo } from 'node:net';

async function listen(server: Server | HttpServer): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return (server.address() as AddressInfo).port;
}

/**
 * A loopback TCP proxy (TLS passes through untouched) that can cut the path: `cut()` drops
 * every connection and refuses new ones until `restore()`, so the backend loses its API
 * server while Flagger and the tests still reach it directly.
 */
export class CuttableTcpProxy {
  #cut = false;
  readonly #sockets = new Set<Socket>();

  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(target: {
    host: string;
    port: number;
  }): Promise<CuttableTcpProxy> {
    // The server exists before the proxy object that owns it.
    const owner: { proxy?: CuttableTcpProxy } = {};
    const server = createServer(client => {
      const proxy = owner.proxy;
      if (!proxy || proxy.#cut) {
        client.destroy();
        return;
      }
      const upstream = connect(target.port, target.host);
      for (const [socket, peer] of [
        [client, upstream],
        [upstream, client],
      ]) {
        proxy.#sockets.add(socket);
        socket.on('close', () => {
          proxy.#sockets.delete(socket);
          peer.destroy();
        });
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    owner.proxy = new CuttableTcpProxy(server, await listen(server));
    return owner.proxy;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  cut() {
    this.#cut = true;
    for (const socket of this.#sockets) socket.destroy();
  }

  restore() {
    this.#cut = false;
  }

  async close() {
    this.cut();
    await new Promise(resolve => this.server.close(resolve));
  }
}

export interface ProxiedRequest {
  path: string;
  startedAt: number;
  /** When the client got its answer or gave up. */
  endedAt?: number;
  /** True when the client closed the connection before an answer was sent. */
  abandoned?: boolean;
}

/**
 * A loopback HTTP proxy in front of a real server that holds every request for `delayMs`
 * before forwarding it, and records how long each client waited and whether it gave up.
 */
export class DelayingHttpProxy {
  delayMs = 0;
  readonly requests: ProxiedRequest[] = [];

  private constructor(
    private readonly server: HttpServer,
    readonly port: number,
  ) {}

  static async start(targetUrl: string): Promise<DelayingHttpProxy> {
    const target = new URL(targetUrl);
    const owner: { proxy?: DelayingHttpProxy } = {};
    const server = createHttpServer(
      (req: IncomingMessage, res: ServerResponse) => {
        const record: ProxiedRequest = {
          path: req.url ?? '',
          startedAt: Date.now(),
        };
        owner.proxy!.requests.push(record);
        let gone = false;
        res.on('close', () => {
          record.endedAt ??= Date.now();
          if (!res.writableFinished) {
            gone = true;
            record.abandoned = true;
          }
        });
        const body: Buffer[] = [];
        req.on('data', chunk => body.push(chunk));
        req.on('end', () => {
          setTimeout(() => {
            if (gone) return;
            const upstream = httpRequest(
              {
                host: target.hostname,
                port: target.port,
                path: req.url,
                method: req.method,
                headers: { ...req.headers, host: target.host },
              },
              answer => {
                res.writeHead(answer.statusCode ?? 502, answer.headers);
                answer.pipe(res);
              },
            );
            upstream.on('error', error => {
              if (!res.headersSent) res.writeHead(502);
              res.end(String(error));
            });
            upstream.end(Buffer.concat(body));
          }, owner.proxy!.delayMs);
        });
      },
    );
    owner.proxy = new DelayingHttpProxy(server, await listen(server));
    return owner.proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close() {
    this.server.closeAllConnections();
    await new Promise(resolve => this.server.close(resolve));
  }
}
