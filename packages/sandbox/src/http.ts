/* Tiny HTTP(S) client for health checks and Prometheus queries (no dependency). */
import http from 'node:http';
import https from 'node:https';

export interface HttpResponse {
  status: number;
  body: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  ca?: string;
  cert?: string;
  key?: string;
  /** Accept any server certificate (for self-signed health endpoints on loopback). */
  insecure?: boolean;
  /** An HTTP proxy for a plain http:// URL, e.g. a sandbox cluster's network (networkProxyUrl). */
  proxy?: string;
}

export function request(
  url: string,
  options: RequestOptions = {},
): Promise<HttpResponse> {
  const u = new URL(url);
  const lib = u.protocol === 'https:' ? https : http;
  if (options.proxy && u.protocol !== 'http:')
    throw new Error(`only http:// URLs go through a proxy, not ${url}`);
  const proxy = options.proxy ? new URL(options.proxy) : undefined;
  // Through a proxy: connect to it and ask for the absolute URL.
  const target: http.RequestOptions = proxy
    ? { host: proxy.hostname, port: proxy.port, path: u.href }
    : {
        protocol: u.protocol,
        hostname: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
      };
  return new Promise((resolve, reject) => {
    const req = lib.request(
      {
        ...target,
        method: options.method ?? 'GET',
        headers: proxy ? { ...options.headers, host: u.host } : options.headers,
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        rejectUnauthorized: !options.insecure,
        timeout: options.timeoutMs ?? 5000,
        agent: false,
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', c => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`timeout after ${options.timeoutMs ?? 5000} ms`)),
    );
    req.on('error', reject);
    if (options.body) req.write(options.body);
    req.end();
  });
}

/** Runs an instant PromQL query and returns the vector result. */
export async function promQuery(
  prometheusUrl: string,
  query: string,
): Promise<{ metric: Record<string, string>; value: number }[]> {
  const res = await request(
    `${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`,
  );
  if (res.status !== 200)
    throw new Error(`prometheus answered ${res.status}: ${res.body}`);
  const parsed = JSON.parse(res.body);
  return (parsed.data?.result ?? []).map((r: any) => ({
    metric: r.metric,
    value: Number(r.value?.[1]),
  }));
}
