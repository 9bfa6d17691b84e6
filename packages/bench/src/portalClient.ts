/* Calls to the running backend: sign-in, our endpoints and the peer's. */

export class PortalClient {
  constructor(readonly url: string, private token = '') {}

  /** Signs in as the guest user (as the app's sign-in page does) and keeps the token. */
  async signIn(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < deadline) {
      const response = await fetch(
        `${this.url}/api/auth/guest/refresh?env=development`,
        { headers: { 'x-requested-with': 'XMLHttpRequest' } },
      );
      if (response.ok) {
        this.token = (await response.json()).backstageIdentity.token;
        return;
      }
      last = `${response.status} ${await response.text()}`;
      await new Promise(resolve => setTimeout(resolve, 1000));
    }
    throw new Error(`guest sign-in failed: ${last}`);
  }

  get headers(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  async getJson(path: string): Promise<{ status: number; body: any }> {
    const response = await fetch(`${this.url}${path}`, {
      headers: this.headers,
    });
    const text = await response.text();
    return { status: response.status, body: parseOrText(text) };
  }

  async postJson(
    path: string,
    body: unknown,
  ): Promise<{ status: number; body: any }> {
    const response = await fetch(`${this.url}${path}`, {
      method: 'POST',
      headers: { ...this.headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: parseOrText(text) };
  }

  /** Our summary endpoint: what the entity tab loads. */
  canaries(entityRef: string) {
    return this.getJson(
      `/api/progressive-delivery/canaries?entityRef=${encodeURIComponent(
        entityRef,
      )}`,
    );
  }

  /** The peer: Backstage's Kubernetes backend asked for the entity's Canary objects. */
  peerCustomResources(entityRef: string) {
    return this.postJson('/api/kubernetes/resources/custom/query', {
      entityRef,
      auth: {},
      customResources: [
        { group: 'flagger.app', apiVersion: 'v1beta1', plural: 'canaries' },
      ],
    });
  }

  streamUrl(entityRef: string): string {
    return `${
      this.url
    }/api/progressive-delivery/stream?entityRef=${encodeURIComponent(
      entityRef,
    )}`;
  }

  /** Waits until the catalog has ingested the entity. */
  async waitForEntity(entityRef: string, timeoutMs = 180_000): Promise<void> {
    const [kind, rest] = entityRef.split(':');
    const [namespace, name] = rest.split('/');
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const { status } = await this.getJson(
        `/api/catalog/entities/by-name/${kind}/${namespace}/${name}`,
      );
      if (status === 200) return;
      await new Promise(resolve => setTimeout(resolve, 1000));
    }
    throw new Error(
      `the catalog did not ingest ${entityRef} within ${timeoutMs / 1000} s`,
    );
  }
}

function parseOrText(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Canary objects in the peer's answer, and the clusters that reported errors. */
export function peerCanaries(body: any): {
  canaries: number;
  errors: string[];
} {
  let canaries = 0;
  const errors: string[] = [];
  for (const cluster of body?.items ?? []) {
    for (const group of cluster.resources ?? []) {
      canaries += (group.resources ?? []).length;
    }
    for (const error of cluster.errors ?? []) {
      errors.push(
        `${cluster.cluster?.name}: ${error.errorType ?? ''} ${
          error.message ?? ''
        }`.trim(),
      );
    }
  }
  return { canaries, errors };
}
