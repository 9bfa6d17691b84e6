import { KubeConfig, Watch } from '@kubernetes/client-node';
import * as http from 'node:http';
import * as https from 'node:https';
import { ClusterConfig } from '../config';

type Obj = Record<string, any>;

/** An API server answer other than 2xx, or a failure to reach it. */
export class KubeRequestError extends Error {
  readonly statusCode?: number;
  readonly reason?: string;
  constructor(message: string, statusCode?: number, reason?: string) {
    super(message);
    this.name = 'KubeRequestError';
    this.statusCode = statusCode;
    this.reason = reason;
  }
}

export interface WatchHandle {
  abort(): void;
}

/**
 * The two things the watch caches need from an API server: GET (list pages, single objects)
 * and WATCH. Objects stay plain JSON exactly as the API server sent them (no model classes,
 * so list and watch deliver the same shapes).
 */
export interface KubeTransport {
  get(
    path: string,
    query?: Record<string, string | undefined>,
    options?: { timeoutMs?: number },
  ): Promise<Obj>;
  watch(
    path: string,
    query: Record<string, string | undefined>,
    onEvent: (type: string, object: Obj) => void,
    onDone: (error?: unknown) => void,
  ): Promise<WatchHandle>;
}

export function kubeConfigFor(cluster: ClusterConfig): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [
      {
        name: cluster.name,
        server: cluster.url,
        caData: cluster.caData,
        caFile: cluster.caFile,
        skipTLSVerify: cluster.skipTLSVerify,
      },
    ],
    users: [
      { name: 'progressive-delivery', token: cluster.serviceAccountToken },
    ],
    contexts: [
      {
        name: cluster.name,
        cluster: cluster.name,
        user: 'progressive-delivery',
      },
    ],
    currentContext: cluster.name,
  });
  return kc;
}

/**
 * Requests with the credentials and TLS settings of a KubeConfig: GETs over one keep-alive
 * agent (so a webhook answer's GET does not pay a TLS handshake), watches through
 * `@kubernetes/client-node`'s `Watch`.
 */
export class KubeConfigTransport implements KubeTransport {
  readonly #kc: KubeConfig;
  readonly #server: string;
  readonly #requestTimeoutMs: number;
  #connection?: Promise<{ agent: http.Agent; headers: Record<string, string> }>;

  constructor(kc: KubeConfig, options: { requestTimeoutMs?: number } = {}) {
    this.#kc = kc;
    const server = kc.getCurrentCluster()?.server;
    if (!server) throw new Error('The KubeConfig has no current cluster');
    this.#server = server.replace(/\/+$/, '');
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  async get(
    path: string,
    query: Record<string, string | undefined> = {},
    options: { timeoutMs?: number } = {},
  ): Promise<Obj> {
    const { agent, headers } = await this.#connect();
    const timeoutMs = options.timeoutMs ?? this.#requestTimeoutMs;
    const url = new URL(this.#server + path);
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.set(key, value);
    }
    const client = url.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const request = client.get(
        url,
        {
          agent,
          headers: { ...headers, Accept: 'application/json' },
          timeout: timeoutMs,
        },
        response => {
          const chunks: Buffer[] = [];
          response.on('data', chunk => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: any;
            try {
              body = JSON.parse(text);
            } catch {
              body = undefined;
            }
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300 && body !== undefined) {
              resolve(body);
              return;
            }
            const detail =
              body?.message ?? (text.slice(0, 200) || response.statusMessage);
            reject(
              new KubeRequestError(
                `HTTP ${status}: ${detail}`,
                status,
                body?.reason,
              ),
            );
          });
        },
      );
      request.on('timeout', () =>
        request.destroy(
          new KubeRequestError(
            `no answer from ${this.#server} within ${timeoutMs} ms`,
          ),
        ),
      );
      request.on('error', error => reject(asRequestError(error)));
    });
  }

  async watch(
    path: string,
    query: Record<string, string | undefined>,
    onEvent: (type: string, object: Obj) => void,
    onDone: (error?: unknown) => void,
  ): Promise<WatchHandle> {
    const controller = await new Watch(this.#kc).watch(
      path,
      query,
      (type, object) => onEvent(type, object),
      error => onDone(error ? asRequestError(error) : undefined),
    );
    return { abort: () => controller.abort() };
  }

  #connect() {
    this.#connection ??= (async () => {
      const options: https.RequestOptions = {};
      await this.#kc.applyToHTTPSOptions(options);
      const agentOptions = {
        keepAlive: true,
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        servername: options.servername,
        ...(options.rejectUnauthorized === undefined
          ? {}
          : { rejectUnauthorized: options.rejectUnauthorized }),
      };
      const agent = this.#server.startsWith('http:')
        ? new http.Agent({ keepAlive: true })
        : new https.Agent(agentOptions);
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(options.headers ?? {})) {
        if (typeof value === 'string') headers[key] = value;
      }
      return { agent, headers };
    })();
    return this.#connection;
  }
}

/** Turns a failure of a request or a watch into a message that says what went wrong. */
export function asRequestError(error: any): KubeRequestError {
  if (error instanceof KubeRequestError) return error;
  const statusCode: number | undefined = error?.statusCode ?? error?.code;
  if (typeof statusCode === 'number') {
    return new KubeRequestError(
      `HTTP ${statusCode}: ${error.message}`,
      statusCode,
    );
  }
  if (error?.code === 'ECONNREFUSED') {
    return new KubeRequestError(
      `connection refused (${error.address ?? ''}:${error.port ?? ''})`,
    );
  }
  const code = typeof error?.code === 'string' ? `${error.code}: ` : '';
  const message = `${code}${error?.message ?? String(error)}`.replace(
    /^(\w+): \1/,
    '$1',
  );
  if (
    typeof error?.code === 'string' &&
    /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(error.code)
  ) {
    return new KubeRequestError(
      `${message} (the API server's certificate is not trusted: set caData or caFile for this cluster in kubernetes.clusterLocatorMethods)`,
    );
  }
  return new KubeRequestError(message);
}
