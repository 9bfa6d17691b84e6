import { BuiltinMetric } from '../flagger/metrics';
import { escapeLabelValue, renderQuery, TemplateModel } from './queries';

type Obj = Record<string, any>;

/** Flagger's metric observers (pkg/metrics/observers of v1.44), by the name of their source file. */
export type BuiltinProvider =
  | 'apisix'
  | 'appmesh'
  | 'contour'
  | 'gloo'
  | 'http'
  | 'istio'
  | 'knative'
  | 'kuma'
  | 'linkerd'
  | 'nginx'
  | 'osm'
  | 'skipper'
  | 'traefik';

/** One query per cluster, interval and metric that answers for many canaries at once. */
interface Batch {
  queries(
    interval: string,
    namespaces: string[],
  ): Record<BuiltinMetric, string>;
  /** The key a series of a batched answer stands for. */
  seriesKey(labels: Record<string, string>): string | undefined;
  /** The keys of a canary's two sides in the batched answers. */
  sideKeys(model: TemplateModel): { canary: string; primary: string };
}

interface ObserverQueries {
  /** Flagger's query texts, whitespace collapsed (Flagger collapses it too before sending). */
  templates?: Record<BuiltinMetric, string>;
  /** The query of the primary side, for comparison; Flagger itself queries only the canary. */
  primaryOf?: (template: string) => string;
  /** Flagger truncates the duration to whole milliseconds after this factor. */
  durationFactor: number;
  batch?: Batch;
  /** Why this plugin cannot reproduce the observer's query. */
  unreadable?: string;
}

const GROUP_LABEL = 'pd_key';

function namespaceRegex(namespaces: string[]): string {
  return (
    [...new Set(namespaces)].sort().map(escapeLabelValue).join('|') || '.+'
  );
}

/** Workload `<target>` versus `<target>-primary`, for observers that select by workload name. */
const workloadPrimary = (target: string) => (template: string) =>
  template.split(target).join(`${target}-primary`);

/**
 * Observers whose series carry the namespace and the workload name as labels (Istio, Linkerd,
 * OSM): one query grouped by those two labels serves every canary.
 */
function workloadLabelBatch(spec: {
  namespaceLabel: string;
  workloadLabel: string;
  fixed: string;
  good: string;
  counter: string;
  histogram: string;
}): Batch {
  const by = `${spec.namespaceLabel}, ${spec.workloadLabel}`;
  return {
    queries(interval, namespaces) {
      const selector = `${spec.fixed},${spec.namespaceLabel}=~"${namespaceRegex(
        namespaces,
      )}"`;
      const range = escapeLabelValue(interval);
      return {
        'request-success-rate': `sum by (${by}) (rate(${spec.counter}{${selector},${spec.good}}[${range}])) / sum by (${by}) (rate(${spec.counter}{${selector}}[${range}])) * 100`,
        'request-duration': `histogram_quantile(0.99, sum by (le, ${by}) (rate(${spec.histogram}{${selector}}[${range}])))`,
      };
    },
    seriesKey(labels) {
      const namespace = labels[spec.namespaceLabel];
      const workload = labels[spec.workloadLabel];
      return namespace && workload ? `${namespace}/${workload}` : undefined;
    },
    sideKeys(model) {
      return {
        canary: `${model.namespace}/${model.target}`,
        primary: `${model.namespace}/${model.target}-primary`,
      };
    },
  };
}

/**
 * Observers that select pods by name (the kubernetes/Gateway API and App Mesh observers):
 * pods `<workload>-<hash>-<id>` are grouped by `<namespace>/<workload>`, which separates
 * `<target>` from `<target>-primary` exactly as Flagger's pod-name regex does.
 */
function podNameBatch(spec: {
  good: string;
  counter: string;
  histogram: string;
}): Batch {
  const by = `kubernetes_namespace, ${GROUP_LABEL}`;
  const keyed = (expr: string) =>
    `label_replace(${expr}, "${GROUP_LABEL}", "$1", "kubernetes_pod_name", "(.+)-[0-9a-zA-Z]+-[0-9a-zA-Z]+")`;
  return {
    queries(interval, namespaces) {
      const scope = `kubernetes_namespace=~"${namespaceRegex(namespaces)}"`;
      const range = escapeLabelValue(interval);
      return {
        'request-success-rate': `sum by (${by}) (${keyed(
          `rate(${spec.counter}{${scope},${spec.good}}[${range}])`,
        )}) / sum by (${by}) (${keyed(
          `rate(${spec.counter}{${scope}}[${range}])`,
        )}) * 100`,
        'request-duration': `histogram_quantile(0.99, sum by (le, ${by}) (${keyed(
          `rate(${spec.histogram}{${scope}}[${range}])`,
        )}))`,
      };
    },
    seriesKey(labels) {
      const key = labels[GROUP_LABEL];
      return key ? `${labels.kubernetes_namespace}/${key}` : undefined;
    },
    sideKeys(model) {
      return {
        canary: `${model.namespace}/${model.target}`,
        primary: `${model.namespace}/${model.target}-primary`,
      };
    },
  };
}

/**
 * Contour: the Envoy cluster name `<namespace>_<service>-<canary|primary>_<port>` becomes the
 * series key `<namespace>_<service>-<side>` (ports summed, as Flagger's regex does).
 */
const contourBatch: Batch = {
  queries(interval, namespaces) {
    const selector = `envoy_cluster_name=~"(${namespaceRegex(
      namespaces,
    )})_.+-(canary|primary)_[0-9a-zA-Z-]+"`;
    const keyed = (expr: string) =>
      `label_replace(${expr}, "${GROUP_LABEL}", "$1", "envoy_cluster_name", "(.+)_[0-9a-zA-Z-]+")`;
    const range = escapeLabelValue(interval);
    return {
      'request-success-rate': `sum by (${GROUP_LABEL}) (${keyed(
        `rate(envoy_cluster_upstream_rq{${selector},envoy_response_code!~"5.*"}[${range}])`,
      )}) / sum by (${GROUP_LABEL}) (${keyed(
        `rate(envoy_cluster_upstream_rq{${selector}}[${range}])`,
      )}) * 100`,
      'request-duration': `histogram_quantile(0.99, sum by (le, ${GROUP_LABEL}) (${keyed(
        `rate(envoy_cluster_upstream_rq_time_bucket{${selector}}[${range}])`,
      )}))`,
    };
  },
  seriesKey: labels => labels[GROUP_LABEL] || undefined,
  sideKeys: model => ({
    canary: `${model.namespace}_${model.service}-canary`,
    primary: `${model.namespace}_${model.service}-primary`,
  }),
};

const OBSERVERS: Record<BuiltinProvider, ObserverQueries> = {
  contour: {
    templates: {
      'request-success-rate': `sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"{{ namespace }}_{{ service }}-canary_[0-9a-zA-Z-]+", envoy_response_code!~"5.*" }[{{ interval }}] ) ) / sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"{{ namespace }}_{{ service }}-canary_[0-9a-zA-Z-]+", }[{{ interval }}] ) ) * 100`,
      'request-duration': `histogram_quantile( 0.99, sum( rate( envoy_cluster_upstream_rq_time_bucket{ envoy_cluster_name=~"{{ namespace }}_{{ service }}-canary_[0-9a-zA-Z-]+", }[{{ interval }}] ) ) by (le) )`,
    },
    primaryOf: template => template.split('-canary_').join('-primary_'),
    durationFactor: 1,
    batch: contourBatch,
  },
  http: {
    templates: {
      'request-success-rate': `sum( rate( http_request_duration_seconds_count{ kubernetes_namespace="{{ namespace }}", kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)", status!~"5.*" }[{{ interval }}] ) ) / sum( rate( http_request_duration_seconds_count{ kubernetes_namespace="{{ namespace }}", kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)" }[{{ interval }}] ) ) * 100`,
      'request-duration': `histogram_quantile( 0.99, sum( rate( http_request_duration_seconds_bucket{ kubernetes_namespace="{{ namespace }}", kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)" }[{{ interval }}] ) ) by (le) )`,
    },
    primaryOf: workloadPrimary('{{ target }}'),
    durationFactor: 1000,
    batch: podNameBatch({
      good: 'status!~"5.*"',
      counter: 'http_request_duration_seconds_count',
      histogram: 'http_request_duration_seconds_bucket',
    }),
  },
  appmesh: {
    templates: {
      'request-success-rate': `sum( rate( envoy_cluster_upstream_rq{ kubernetes_namespace="{{ namespace }}", kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)", envoy_response_code!~"5.*" }[{{ interval }}] ) ) / sum( rate( envoy_cluster_upstream_rq{ kubernetes_namespace="{{ namespace }}", kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)" }[{{ interval }}] ) ) * 100`,
      'request-duration': `histogram_quantile( 0.99, sum( rate( envoy_cluster_upstream_rq_time_bucket{ kubernetes_namespace="{{ namespace }}", kubernetes_pod_name=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)" }[{{ interval }}] ) ) by (le) )`,
    },
    primaryOf: workloadPrimary('{{ target }}'),
    durationFactor: 1,
    batch: podNameBatch({
      good: 'envoy_response_code!~"5.*"',
      counter: 'envoy_cluster_upstream_rq',
      histogram: 'envoy_cluster_upstream_rq_time_bucket',
    }),
  },
  istio: {
    templates: {
      'request-success-rate': `sum( rate( istio_requests_total{ reporter="destination", destination_workload_namespace="{{ namespace }}", destination_workload=~"{{ target }}", response_code!~"5.*" }[{{ interval }}] ) ) / sum( rate( istio_requests_total{ reporter="destination", destination_workload_namespace="{{ namespace }}", destination_workload=~"{{ target }}" }[{{ interval }}] ) ) * 100`,
      'request-duration': `histogram_quantile( 0.99, sum( rate( istio_request_duration_milliseconds_bucket{ reporter="destination", destination_workload_namespace="{{ namespace }}", destination_workload=~"{{ target }}" }[{{ interval }}] ) ) by (le) )`,
    },
    primaryOf: workloadPrimary('{{ target }}'),
    durationFactor: 1,
    batch: workloadLabelBatch({
      namespaceLabel: 'destination_workload_namespace',
      workloadLabel: 'destination_workload',
      fixed: 'reporter="destination"',
      good: 'response_code!~"5.*"',
      counter: 'istio_requests_total',
      histogram: 'istio_request_duration_milliseconds_bucket',
    }),
  },
  linkerd: {
    templates: {
      'request-success-rate': `sum( rate( response_total{ namespace="{{ namespace }}", deployment=~"{{ target }}", classification!="failure", direction="inbound" }[{{ interval }}] ) ) / sum( rate( response_total{ namespace="{{ namespace }}", deployment=~"{{ target }}", direction="inbound" }[{{ interval }}] ) ) * 100`,
      'request-duration': `histogram_quantile( 0.99, sum( rate( response_latency_ms_bucket{ namespace="{{ namespace }}", deployment=~"{{ target }}", direction="inbound" }[{{ interval }}] ) ) by (le) )`,
    },
    primaryOf: workloadPrimary('{{ target }}'),
    durationFactor: 1,
    batch: workloadLabelBatch({
      namespaceLabel: 'namespace',
      workloadLabel: 'deployment',
      fixed: 'direction="inbound"',
      good: 'classification!="failure"',
      counter: 'response_total',
      histogram: 'response_latency_ms_bucket',
    }),
  },
  osm: {
    templates: {
      'request-success-rate': `sum( rate( osm_request_total{ destination_namespace="{{ namespace }}", destination_kind="Deployment", destination_name="{{ target }}", response_code!~"5.*" }[{{ interval }}] ) ) / sum( rate( osm_request_total{ destination_namespace="{{ namespace }}", destination_kind="Deployment", destination_name="{{ target }}" }[{{ interval }}] ) ) * 100`,
      'request-duration': `histogram_quantile( 0.99, sum( rate( osm_request_duration_ms_bucket{ destination_namespace="{{ namespace }}", destination_kind="Deployment", destination_name="{{ target }}" }[{{ interval }}] ) ) by (le) )`,
    },
    primaryOf: workloadPrimary('{{ target }}'),
    durationFactor: 1,
    batch: workloadLabelBatch({
      namespaceLabel: 'destination_namespace',
      workloadLabel: 'destination_name',
      fixed: 'destination_kind="Deployment"',
      good: 'response_code!~"5.*"',
      counter: 'osm_request_total',
      histogram: 'osm_request_duration_ms_bucket',
    }),
  },
  gloo: {
    templates: {
      'request-success-rate': `sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"{{ namespace }}-{{ target }}-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+", envoy_response_code!~"5.*" }[{{ interval }}] ) ) / sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"{{ namespace }}-{{ target }}-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+", }[{{ interval }}] ) ) * 100`,
      'request-duration': `histogram_quantile( 0.99, sum( rate( envoy_cluster_upstream_rq_time_bucket{ envoy_cluster_name=~"{{ namespace }}-{{ target }}-canaryupstream-[0-9a-zA-Z-]+_[0-9a-zA-Z-]+", }[{{ interval }}] ) ) by (le) )`,
    },
    primaryOf: template =>
      template.split('-canaryupstream-').join('-primaryupstream-'),
    durationFactor: 1,
  },
  nginx: {
    templates: {
      'request-success-rate': `sum( rate( nginx_ingress_controller_requests{ namespace="{{ namespace }}", ingress="{{ ingress }}", canary!="", status!~"5.*" }[{{ interval }}] ) ) / sum( rate( nginx_ingress_controller_requests{ namespace="{{ namespace }}", ingress="{{ ingress }}", canary!="" }[{{ interval }}] ) ) * 100`,
      'request-duration': `sum( rate( nginx_ingress_controller_response_duration_seconds_sum{ namespace="{{ namespace }}", ingress="{{ ingress }}", canary!="" }[{{ interval }}] ) ) / sum( rate( nginx_ingress_controller_response_duration_seconds_count{ namespace="{{ namespace }}", ingress="{{ ingress }}", canary!="" }[{{ interval }}] ) ) * 1000`,
    },
    durationFactor: 1,
  },
  traefik: {
    templates: {
      'request-success-rate': `sum( rate( traefik_service_request_duration_seconds_bucket{ service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd", code!~"5..", le="+Inf" }[{{ interval }}] ) ) / sum( rate( traefik_service_request_duration_seconds_bucket{ service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd", le="+Inf" }[{{ interval }}] ) ) * 100`,
      'request-duration': `histogram_quantile( 0.99, sum( rate( traefik_service_request_duration_seconds_bucket{ service=~"{{ namespace }}-{{ target }}-canary-[0-9a-zA-Z-]+@kubernetescrd" }[{{ interval }}] ) ) by (le) ) * 1000`,
    },
    primaryOf: template =>
      template.split('{{ target }}-canary-').join('{{ target }}-primary-'),
    durationFactor: 1,
  },
  kuma: {
    templates: {
      'request-success-rate': `sum( rate( envoy_cluster_upstream_rq{ service=~"{{ target }}-canary_{{ namespace }}_svc_[0-9a-zA-Z-]+", envoy_response_code!~"5.*" }[{{ interval }}] ) ) / sum( rate( envoy_cluster_upstream_rq{ service=~"{{ target }}-canary_{{ namespace }}_svc_[0-9a-zA-Z-]+", }[{{ interval }}] ) ) * 100`,
      'request-duration': `histogram_quantile( 0.99, sum( rate( envoy_cluster_upstream_rq_time_bucket{ service=~"{{ target }}-canary_{{ namespace }}_svc_[0-9a-zA-Z-]+", }[{{ interval }}] ) ) by (le) )`,
    },
    primaryOf: template =>
      template.split('{{ target }}-canary_').join('{{ target }}-primary_'),
    durationFactor: 1,
  },
  apisix: {
    templates: {
      'request-success-rate': `sum( rate( apisix_http_status{ route=~"{{ namespace }}_{{ route }}-{{ target }}-canary_.+", code!~"5.." }[{{ interval }}] ) ) / sum( rate( apisix_http_status{ route=~"{{ namespace }}_{{ route }}-{{ target }}-canary_.+" }[{{ interval }}] ) ) * 100`,
      'request-duration': `histogram_quantile( 0.99, sum( rate( apisix_http_latency_bucket{ type=~"request", route=~"{{ namespace }}_{{ route }}-{{ target }}-canary_.+" }[{{ interval }}] ) ) by (le) )`,
    },
    durationFactor: 1,
  },
  knative: {
    durationFactor: 1,
    unreadable:
      "Flagger's Knative queries name the Knative Service's latest revision, which this plugin does not read",
  },
  skipper: {
    durationFactor: 1,
    unreadable:
      "Flagger's Skipper queries are Go templates with route variables, which this plugin does not evaluate",
  },
};

/**
 * The metrics provider Flagger's scheduler picks for a canary (`runBuiltinMetricChecks`): the
 * canary's own provider over Flagger's `-mesh-provider`, Linkerd when that is the mesh, and a
 * `-service` suffix for a Service target.
 */
export function metricsProviderOf(canary: Obj, meshProvider: string): string {
  let provider = meshProvider.includes('crossover')
    ? 'crossover'
    : meshProvider;
  const own = canary.spec?.provider;
  if (typeof own === 'string' && own !== '') {
    provider = meshProvider.includes('linkerd') ? 'linkerd' : own;
  }
  const targetRef = canary.spec?.targetRef ?? {};
  const knativeService =
    targetRef.kind === 'Service' &&
    targetRef.apiVersion === 'serving.knative.dev/v1';
  if (targetRef.kind === 'Service' && !knativeService) provider += '-service';
  return provider;
}

/** The observer Flagger's factory returns for a metrics provider; Istio's is its default. */
export function observerOf(metricsProvider: string): BuiltinProvider {
  const p = metricsProvider;
  if (p.startsWith('appmesh')) return 'appmesh';
  if (p === 'linkerd') return 'linkerd';
  if (p === 'istio') return 'istio';
  if (p === 'contour') return 'contour';
  if (p.startsWith('gloo')) return 'gloo';
  if (p === 'nginx') return 'nginx';
  if (p === 'kubernetes' || p.startsWith('gatewayapi')) return 'http';
  if (p === 'skipper') return 'skipper';
  if (p === 'traefik') return 'traefik';
  if (p === 'osm') return 'osm';
  if (p === 'kuma') return 'kuma';
  if (p === 'apisix') return 'apisix';
  if (p === 'knative') return 'knative';
  return 'istio';
}

/** The observer whose queries Flagger runs for this canary's builtin metrics. */
export function builtinProviderOf(
  canary: Obj,
  meshProvider: string = 'istio',
): BuiltinProvider {
  return observerOf(metricsProviderOf(canary, meshProvider));
}

/** Why the builtin metrics of this observer cannot be read here, if they cannot. */
export function unreadableReason(
  provider: BuiltinProvider,
): string | undefined {
  return OBSERVERS[provider].unreadable;
}

/** The batch that serves this observer's canaries, if its series can be grouped per canary. */
export function batchOf(provider: BuiltinProvider): Batch | undefined {
  return OBSERVERS[provider].batch;
}

/** The query Flagger runs for a builtin metric (canary side), or its primary-side twin for comparison. */
export function builtinQuery(
  provider: BuiltinProvider,
  metric: BuiltinMetric,
  model: TemplateModel,
  side: 'canary' | 'primary',
): string | undefined {
  const observer = OBSERVERS[provider];
  const template = observer.templates?.[metric];
  if (!template) return undefined;
  if (side === 'canary') return renderQuery(template, model);
  return observer.primaryOf
    ? renderQuery(observer.primaryOf(template), model)
    : undefined;
}

/**
 * Flagger's unit conversion of the duration (`time.Duration(int64(value * factor))` in
 * milliseconds): most observers' queries answer in milliseconds, the HTTP one in seconds.
 */
export function durationMilliseconds(
  provider: BuiltinProvider,
  value: number,
): number {
  return Math.trunc(value * OBSERVERS[provider].durationFactor);
}
