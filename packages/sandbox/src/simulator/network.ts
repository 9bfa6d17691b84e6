/*
 * The cluster network of one sandbox cluster, as an HTTP proxy: what cluster DNS and
 * kube-proxy do for a pod. `http://<service>.<namespace>[.svc[.cluster.local]][:port]/...`
 * reaches
 * - the host process that stands for a selector-less Service whose `host-port` annotation
 *   names a loopback port (the loadtester), or
 * - one of the serving pods the Service selects; the pods are simulated, so the proxy answers
 *   for them with their revision's behaviour (error rate, latency).
 * Flagger (webhooks) and the loadtester (curl, hey) use it through HTTP_PROXY.
 */
import http from 'node:http';
import { ANNOTATIONS } from '../config';
import { servingPods } from './kubelet';
import { behaviourOf } from './traffic';

export interface ServiceTarget {
  metadata: {
    name: string;
    namespace: string;
    annotations?: Record<string, string>;
  };
  spec?: {
    selector?: Record<string, string>;
    ports?: { port: number; name?: string }[];
  };
}

export type Route =
  | { kind: 'host-process'; port: number }
  | { kind: 'pods'; pods: any[] }
  | { kind: 'error'; status: number; message: string };

/** `<service>.<namespace>` and its longer forms; a bare name has no search domain here. */
export function parseServiceHost(
  hostname: string,
): { service: string; namespace: string } | undefined {
  const labels = hostname.toLowerCase().replace(/\.$/, '').split('.');
  const suffixes = [[], ['svc'], ['svc', 'cluster', 'local']];
  for (const suffix of suffixes) {
    if (labels.length !== 2 + suffix.length) continue;
    if (suffix.every((s, i) => labels[2 + i] === s)) {
      return { service: labels[0], namespace: labels[1] };
    }
  }
  return undefined;
}

/** Where a request to `hostname:port` goes, or why it cannot. */
export function route(
  hostname: string,
  port: number,
  services: readonly ServiceTarget[],
  pods: readonly any[],
): Route {
  const name = parseServiceHost(hostname);
  if (!name) {
    return {
      kind: 'error',
      status: 502,
      message: `cannot resolve ${hostname}: the sandbox's cluster network knows <service>.<namespace>[.svc[.cluster.local]] only`,
    };
  }
  const service = services.find(
    s =>
      s.metadata.name === name.service &&
      s.metadata.namespace === name.namespace,
  );
  if (!service) {
    return {
      kind: 'error',
      status: 502,
      message: `cannot resolve ${hostname}: no Service ${name.namespace}/${name.service}`,
    };
  }
  if (!(service.spec?.ports ?? []).some(p => p.port === port)) {
    return {
      kind: 'error',
      status: 502,
      message: `connection refused: Service ${name.namespace}/${name.service} has no port ${port}`,
    };
  }
  const hostPort = Number(service.metadata.annotations?.[ANNOTATIONS.hostPort]);
  if (Number.isInteger(hostPort) && hostPort > 0) {
    return { kind: 'host-process', port: hostPort };
  }
  const selected = servingPods(pods, name.namespace, service.spec?.selector);
  if (selected.length === 0) {
    return {
      kind: 'error',
      status: 503,
      message: `no ready endpoints for Service ${name.namespace}/${name.service}`,
    };
  }
  return { kind: 'pods', pods: selected };
}

/** How one simulated pod answers one request. */
export function simulatedAnswer(
  pod: any,
  request: { method: string; path: string },
  random: () => number = Math.random,
): { status: number; delayMs: number; body: string } {
  const behaviour = behaviourOf(pod.metadata.annotations);
  const delayMs = behaviour.latencyMs * (0.5 + random());
  const failed = random() < behaviour.errorRate;
  const body = {
    hostname: pod.metadata.name,
    namespace: pod.metadata.namespace,
    image: pod.spec.containers?.[0]?.image,
    revision: pod.metadata.annotations?.[ANNOTATIONS.revision],
    method: request.method,
    path: request.path,
    ...(failed ? { error: 'simulated failure (revision error rate)' } : {}),
  };
  return {
    status: failed ? 500 : 200,
    delayMs,
    body: `${JSON.stringify(body)}\n`,
  };
}

/** The proxy server; `services()` and `pods()` read the simulator's watch caches. */
export function createNetworkProxy(options: {
  services: () => readonly ServiceTarget[];
  pods: () => readonly any[];
  log: (message: string) => void;
}): http.Server {
  let next = 0;
  return http.createServer((req, res) => {
    const reply = (status: number, message: string) => {
      res.writeHead(status, { 'Content-Type': 'text/plain' });
      res.end(`${message}\n`);
    };
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      reply(
        400,
        'this is the sandbox cluster network proxy: send absolute http:// URLs (set HTTP_PROXY)',
      );
      return;
    }
    if (url.protocol !== 'http:') {
      reply(501, 'the sandbox cluster network carries plain http only');
      return;
    }
    const port = Number(url.port || 80);
    const target = route(
      url.hostname,
      port,
      options.services(),
      options.pods(),
    );
    if (target.kind === 'error') {
      reply(target.status, target.message);
      return;
    }
    if (target.kind === 'host-process') {
      const upstream = http.request(
        {
          host: '127.0.0.1',
          port: target.port,
          method: req.method,
          path: `${url.pathname}${url.search}`,
          headers: { ...req.headers, host: url.host },
        },
        answer => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', e =>
        reply(502, `connection refused by ${url.host}: ${e.message}`),
      );
      req.pipe(upstream);
      return;
    }
    req.resume();
    req.on('end', () => {
      const pod = target.pods[next++ % target.pods.length];
      const answer = simulatedAnswer(pod, {
        method: req.method ?? 'GET',
        path: `${url.pathname}${url.search}`,
      });
      setTimeout(() => {
        res.writeHead(answer.status, { 'Content-Type': 'application/json' });
        res.end(answer.body);
      }, answer.delayMs);
    });
  });
}
