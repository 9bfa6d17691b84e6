import { normalizeAddress } from '../config';
import { renderQuery, TemplateModel } from './queries';

type Obj = Record<string, any>;

/** A server's URL, or why this backend cannot reach the server Flagger asks. */
export type ServerAnswer = { url: string } | { error: string };

/**
 * The Prometheus servers of one cluster as Flagger names them (its `-metrics-server`, a
 * canary's `spec.metricsServer`, a MetricTemplate's `spec.provider.address`), each with the
 * URL this backend reaches it by, and which server and query a metric is read with.
 */
export class ClusterServers {
  readonly #urlOfAddress: Map<string, string>;

  constructor(
    readonly cluster: string,
    /** The cluster's own Prometheus. */
    readonly defaultUrl: string,
    servers: Array<{ address: string; url: string }>,
    private readonly templateOf: (
      namespace: string,
      name: string,
    ) => Obj | undefined,
  ) {
    this.#urlOfAddress = new Map([[normalizeAddress(defaultUrl), defaultUrl]]);
    for (const server of servers) {
      this.#urlOfAddress.set(normalizeAddress(server.address), server.url);
    }
  }

  /** Every URL this backend queries for the cluster, the cluster's own first. */
  urls(): string[] {
    return [...new Set([this.defaultUrl, ...this.#urlOfAddress.values()])];
  }

  /** The server Flagger asks for a canary's builtin and inline-query metrics. */
  builtin(canary: Obj): ServerAnswer {
    const address = canary.spec?.metricsServer;
    if (typeof address !== 'string' || address === '') {
      return { url: this.defaultUrl };
    }
    return this.at(
      address,
      `The canary reads its metrics from ${address} (spec.metricsServer)`,
    );
  }

  /** The URL of the server Flagger names by `address`; `whose` says who names it, for the error. */
  at(address: string, whose: string): ServerAnswer {
    const url = this.#urlOfAddress.get(normalizeAddress(address));
    if (url) return { url };
    return {
      error: `${whose}, a server this backend has no URL for; add { address: ${address}, url: <how this backend reaches it> } to progressiveDelivery.clusters.${this.cluster}.prometheus.servers (or set prometheus.address when it is the cluster's own Prometheus).`,
    };
  }

  /**
   * The server and the query of a template or inline-query metric, as Flagger would send it.
   * The query is rendered whether or not this backend can reach the server it goes to.
   *
   * @throws Error saying why no query can be rendered (Flagger could not query it either)
   */
  custom(
    canary: Obj,
    metric: Obj,
    model: TemplateModel,
  ): { promql: string; server: ServerAnswer } {
    const query = customQuery(
      this.cluster,
      canary,
      metric,
      model,
      this.templateOf,
    );
    if (!query.template)
      return { promql: query.promql, server: this.builtin(canary) };
    const { ref, address } = query.template;
    if (typeof address !== 'string' || address === '') {
      return {
        promql: query.promql,
        server: {
          error: `${ref} has no spec.provider.address (Flagger fails this check too)`,
        },
      };
    }
    return {
      promql: query.promql,
      server: this.at(address, `${ref} queries ${address}`),
    };
  }
}

/**
 * The PromQL Flagger sends for a template or inline-query metric, with its variables
 * substituted; it needs no server. For a template, also which one and the server it names.
 *
 * @throws Error saying why no query can be rendered (Flagger could not query it either)
 */
export function customQuery(
  cluster: string,
  canary: Obj,
  metric: Obj,
  model: TemplateModel,
  templateOf: (namespace: string, name: string) => Obj | undefined,
): { promql: string; template?: { ref: string; address: unknown } } {
  if (metric.templateRef) {
    const namespace =
      metric.templateRef.namespace || canary.metadata?.namespace;
    const ref = `MetricTemplate ${namespace}/${metric.templateRef.name}`;
    const template = templateOf(namespace, metric.templateRef.name);
    if (!template)
      throw new Error(`${ref} does not exist in cluster ${cluster}`);
    const type = template.spec?.provider?.type ?? 'prometheus';
    if (type !== 'prometheus') {
      throw new Error(
        `${ref} queries ${type}; this plugin reads only Prometheus`,
      );
    }
    return {
      promql: renderQuery(template.spec?.query ?? '', model),
      template: { ref, address: template.spec?.provider?.address },
    };
  }
  if (metric.query) return { promql: renderQuery(metric.query, model) };
  throw new Error(
    'no usable metric template or query is configured (Flagger fails this check too)',
  );
}
