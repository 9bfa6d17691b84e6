/*
 * A minimal Kubernetes REST client for set-up work (apply, create-if-absent, status writes).
 * Paths come from a fixed table of the kinds the sandbox handles, so no discovery is needed.
 */
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { request, HttpResponse } from './http';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

const KINDS: Record<string, { plural: string; namespaced: boolean }> = {
  Namespace: { plural: 'namespaces', namespaced: false },
  ServiceAccount: { plural: 'serviceaccounts', namespaced: true },
  Service: { plural: 'services', namespaced: true },
  Pod: { plural: 'pods', namespaced: true },
  ConfigMap: { plural: 'configmaps', namespaced: true },
  ClusterRole: { plural: 'clusterroles', namespaced: false },
  ClusterRoleBinding: { plural: 'clusterrolebindings', namespaced: false },
  CustomResourceDefinition: {
    plural: 'customresourcedefinitions',
    namespaced: false,
  },
  Deployment: { plural: 'deployments', namespaced: true },
  ReplicaSet: { plural: 'replicasets', namespaced: true },
  Canary: { plural: 'canaries', namespaced: true },
  Workload: { plural: 'workloads', namespaced: true },
  HTTPProxy: { plural: 'httpproxies', namespaced: true },
};

/** The REST path of an object (or, with `collection`, of its kind's collection in its namespace). */
export function objectPath(
  obj: Pick<KubeObject, 'apiVersion' | 'kind'> & {
    metadata: { name?: string; namespace?: string };
  },
  collection = false,
): string {
  const kind = KINDS[obj.kind];
  if (!kind) throw new Error(`unknown kind ${obj.kind}`);
  const base = obj.apiVersion.includes('/')
    ? `/apis/${obj.apiVersion}`
    : `/api/${obj.apiVersion}`;
  const ns = kind.namespaced
    ? `/namespaces/${obj.metadata.namespace ?? 'default'}`
    : '';
  const name = collection ? '' : `/${obj.metadata.name}`;
  return `${base}${ns}/${kind.plural}${name}`;
}

export class KubeApiError extends Error {
  constructor(readonly status: number, readonly body: string, what: string) {
    let message = body;
    try {
      message = JSON.parse(body).message ?? body;
    } catch {
      // not JSON
    }
    super(`${what}: ${status} ${message}`);
  }
}

export interface KubeCredentials {
  server: string;
  caPem: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  token?: string;
}

export class KubeClient {
  constructor(readonly credentials: KubeCredentials) {}

  static fromKubeconfigFile(path: string): KubeClient {
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    const cluster = kc.getCurrentCluster()!;
    const user = kc.getCurrentUser()!;
    const decode = (s?: string) =>
      s ? Buffer.from(s, 'base64').toString('utf8') : undefined;
    return new KubeClient({
      server: cluster.server,
      caPem: decode(cluster.caData) ?? readFileSync(cluster.caFile!, 'utf8'),
      clientCertPem: decode(user.certData),
      clientKeyPem: decode(user.keyData),
      token: user.token,
    });
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    timeoutMs = 15_000,
  ): Promise<HttpResponse> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    let payload: string | undefined;
    if (body !== undefined)
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    if (body !== undefined) headers['Content-Type'] = contentType;
    if (this.credentials.token)
      headers.Authorization = `Bearer ${this.credentials.token}`;
    return request(`${this.credentials.server}${path}`, {
      method,
      headers,
      body: payload,
      ca: this.credentials.caPem,
      cert: this.credentials.clientCertPem,
      key: this.credentials.clientKeyPem,
      timeoutMs,
    });
  }

  private async json<T>(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<T> {
    const res = await this.request(method, path, body, contentType);
    if (res.status < 200 || res.status >= 300) {
      throw new KubeApiError(res.status, res.body, `${method} ${path}`);
    }
    return JSON.parse(res.body) as T;
  }

  get<T = any>(path: string): Promise<T> {
    return this.json<T>('GET', path);
  }

  /** GET that resolves to undefined on 404. */
  async find<T = any>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  post<T = any>(path: string, body: unknown): Promise<T> {
    return this.json<T>('POST', path, body);
  }

  mergePatch<T = any>(path: string, patch: unknown): Promise<T> {
    return this.json<T>('PATCH', path, patch, 'application/merge-patch+json');
  }

  async delete(path: string, gracePeriodSeconds?: number): Promise<void> {
    const q =
      gracePeriodSeconds === undefined
        ? ''
        : `?gracePeriodSeconds=${gracePeriodSeconds}`;
    const res = await this.request('DELETE', `${path}${q}`);
    if (res.status !== 404 && (res.status < 200 || res.status >= 300)) {
      throw new KubeApiError(res.status, res.body, `DELETE ${path}`);
    }
  }

  /** Server-side apply (field manager `sandbox`, forced). */
  apply<T = any>(obj: KubeObject): Promise<T> {
    return this.json<T>(
      'PATCH',
      `${objectPath(obj)}?fieldManager=sandbox&force=true`,
      obj,
      'application/apply-patch+yaml',
    );
  }

  /** Creates the object unless one of that name exists; returns whether it created it. */
  async createIfAbsent(obj: KubeObject): Promise<boolean> {
    const res = await this.request('POST', objectPath(obj, true), obj);
    if (res.status === 409) return false;
    if (res.status < 200 || res.status >= 300) {
      throw new KubeApiError(
        res.status,
        res.body,
        `create ${obj.kind} ${obj.metadata.name}`,
      );
    }
    return true;
  }
}
