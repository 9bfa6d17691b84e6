export const entityRef = (entity: string) =>
  entity.includes(':') ? entity : `component:default/${entity}`;

/** The portal's HTTP API as a signed-in guest sees it, for tests that work below the browser. */
export class PortalApi {
  private constructor(readonly baseUrl: string, readonly token: string) {}

  /** The API as the holder of `token` (a Backstage token from a sign-in) sees it. */
  static withToken(baseUrl: string, token: string): PortalApi {
    return new PortalApi(baseUrl, token);
  }

  /** Signs in as the guest user, as the app does. */
  static async signIn(baseUrl: string): Promise<PortalApi> {
    const response = await fetch(
      `${baseUrl}/api/auth/guest/refresh?env=development`,
      { headers: { 'x-requested-with': 'XMLHttpRequest' } },
    );
    if (!response.ok) {
      throw new Error(
        `guest sign-in answered ${response.status}: ${await response.text()}`,
      );
    }
    return new PortalApi(
      baseUrl,
      (await response.json()).backstageIdentity.token,
    );
  }

  /** A request to `/api/progressive-delivery<path>`. */
  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.baseUrl}/api/progressive-delivery${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${this.token}`,
        'content-type': 'application/json',
        ...init.headers,
      },
    });
  }

  async json(path: string, init: RequestInit = {}): Promise<any> {
    const response = await this.fetch(path, init);
    const text = await response.text();
    if (!response.ok) {
      throw new Error(
        `${init.method ?? 'GET'} ${path} answered ${response.status}: ${text}`,
      );
    }
    return JSON.parse(text);
  }

  /** `GET /canaries?entityRef=component:default/<entity>`: `{ items, clusters, selector }`. */
  canaries(entity: string, init: RequestInit = {}): Promise<any> {
    return this.json(
      `/canaries?entityRef=${encodeURIComponent(entityRef(entity))}`,
      init,
    );
  }

  history(entity: string): Promise<any> {
    return this.json(
      `/history?entityRef=${encodeURIComponent(entityRef(entity))}`,
    );
  }

  act(
    cluster: string,
    namespace: string,
    name: string,
    action: string,
    body: { entity: string; comment?: string },
  ): Promise<Response> {
    return this.fetch(
      `/canaries/${cluster}/${namespace}/${name}/actions/${action}`,
      {
        method: 'POST',
        body: JSON.stringify({
          entityRef: entityRef(body.entity),
          comment: body.comment,
        }),
      },
    );
  }

  streamUrl(entity: string): string {
    return `${
      this.baseUrl
    }/api/progressive-delivery/stream?entityRef=${encodeURIComponent(
      entityRef(entity),
    )}`;
  }
}

export function itemOf(list: any, cluster: string, name: string): any {
  return list.items.find(
    (item: any) => item.ref.cluster === cluster && item.ref.name === name,
  );
}

export function clusterOf(list: any, cluster: string): any {
  return list.clusters.find((c: any) => c.name === cluster);
}
