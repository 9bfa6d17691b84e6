type Obj = Record<string, any>;

/** Escapes a value for use inside a double-quoted PromQL string (and so inside its regex). */
export function escapeLabelValue(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n');
}

/** Flagger's MetricTemplateModel: the values its query templates can use. */
export interface TemplateModel {
  name: string;
  namespace: string;
  target: string;
  service: string;
  ingress: string;
  route: string;
  interval: string;
  variables: Record<string, string>;
}

/** `toMetricModel()` of Flagger's scheduler: service, ingress and route default to the target name. */
export function templateModel(
  canary: Obj,
  interval: string,
  variables: Record<string, string> = {},
): TemplateModel {
  const target = canary.spec?.targetRef?.name ?? '';
  return {
    name: canary.metadata?.name ?? '',
    namespace: canary.metadata?.namespace ?? '',
    target,
    service: canary.spec?.service?.name || target,
    ingress: canary.spec?.ingressRef?.name || target,
    route: canary.spec?.routeRef?.name || target,
    interval,
    variables: Object.fromEntries(
      Object.entries(variables ?? {}).filter(
        ([, value]) => typeof value === 'string',
      ),
    ) as Record<string, string>,
  };
}

/**
 * Renders a Flagger query template: `{{ namespace }}`, `{{ target }}`, `{{ variables.x }}` and
 * the other model functions. Every value is escaped so that a hostile value (a template
 * variable, say) cannot end the PromQL string it sits in. Like Flagger (`missingkey=error`),
 * an unknown name is an error; other Go-template syntax is not supported and says so.
 */
export function renderQuery(template: string, model: TemplateModel): string {
  const rendered = template.replace(
    /\{\{-?\s*([a-zA-Z]+)(?:\.([A-Za-z0-9_-]+))?\s*-?\}\}/g,
    (_whole, field: string, key: string | undefined) => {
      if (field === 'variables') {
        if (
          key === undefined ||
          !Object.prototype.hasOwnProperty.call(model.variables, key)
        ) {
          throw new Error(
            `template variable "${
              key ?? ''
            }" is not set in the canary's templateVariables`,
          );
        }
        return escapeLabelValue(model.variables[key]);
      }
      if (
        key !== undefined ||
        ![
          'name',
          'namespace',
          'target',
          'service',
          'ingress',
          'route',
          'interval',
        ].includes(field)
      ) {
        throw new Error(
          `unknown template function "${field}${key ? `.${key}` : ''}"`,
        );
      }
      return escapeLabelValue(
        String(model[field as keyof Omit<TemplateModel, 'variables'>]),
      );
    },
  );
  if (/\{\{|\}\}/.test(rendered)) {
    throw new Error(
      'the query uses Go template syntax this plugin does not evaluate (only {{ name }}-style values)',
    );
  }
  // Flagger collapses runs of whitespace before sending the query.
  return rendered.replace(/\s+/g, ' ').trim();
}

/* Flagger v1.44 pkg/metrics/observers/contour.go, for the canary; the primary side swaps the suffix. */
const CONTOUR = {
  'request-success-rate': `sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"{{ namespace }}_{{ service }}-SIDE_[0-9a-zA-Z-]+", envoy_response_code!~"5.*" }[{{ interval }}] ) ) / sum( rate( envoy_cluster_upstream_rq{ envoy_cluster_name=~"{{ namespace }}_{{ service }}-SIDE_[0-9a-zA-Z-]+", }[{{ interval }}] ) ) * 100`,
  'request-duration': `histogram_quantile( 0.99, sum( rate( envoy_cluster_upstream_rq_time_bucket{ envoy_cluster_name=~"{{ namespace }}_{{ service }}-SIDE_[0-9a-zA-Z-]+", }[{{ interval }}] ) ) by (le) )`,
};

/* Flagger v1.44 pkg/metrics/observers/http.go (kubernetes and gatewayapi providers). */
const HTTP = {
  'request-success-rate': `sum( rate( http_request_duration_seconds_count{ kubernetes_namespace="{{ namespace }}", kubernetes_pod_name=~"{{ target }}PODSIDE-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)", status!~"5.*" }[{{ interval }}] ) ) / sum( rate( http_request_duration_seconds_count{ kubernetes_namespace="{{ namespace }}", kubernetes_pod_name=~"{{ target }}PODSIDE-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)" }[{{ interval }}] ) ) * 100`,
  'request-duration': `histogram_quantile( 0.99, sum( rate( http_request_duration_seconds_bucket{ kubernetes_namespace="{{ namespace }}", kubernetes_pod_name=~"{{ target }}PODSIDE-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)" }[{{ interval }}] ) ) by (le) )`,
};

export type BuiltinProvider = 'contour' | 'kubernetes';
export type BuiltinMetric = 'request-success-rate' | 'request-duration';

/** The observer Flagger picks for a canary's provider, among those this plugin reproduces. */
export function builtinProviderOf(canary: Obj): BuiltinProvider | undefined {
  const provider = canary.spec?.provider;
  if (canary.spec?.targetRef?.kind === 'Service') return undefined; // Flagger falls back to Istio's queries
  if (provider === 'contour') return 'contour';
  if (
    provider === 'kubernetes' ||
    (typeof provider === 'string' && provider.startsWith('gatewayapi'))
  ) {
    return 'kubernetes';
  }
  return undefined;
}

/** The query Flagger runs for a builtin metric (canary side), or its primary-side twin for comparison. */
export function builtinQuery(
  provider: BuiltinProvider,
  metric: BuiltinMetric,
  model: TemplateModel,
  side: 'canary' | 'primary',
): string {
  const template =
    provider === 'contour'
      ? CONTOUR[metric].replace(/SIDE/g, side)
      : HTTP[metric].replace(/PODSIDE/g, side === 'primary' ? '-primary' : '');
  return renderQuery(template, model);
}

/**
 * Flagger's unit conversion of the duration (`time.Duration(int64(...))`): Envoy's histogram is
 * in milliseconds, the HTTP one in seconds; both truncate to whole milliseconds.
 */
export function durationMilliseconds(
  provider: BuiltinProvider,
  value: number,
): number {
  return provider === 'contour' ? Math.trunc(value) : Math.trunc(value * 1000);
}

const GROUP_LABEL = 'pd_key';

function namespaceRegex(namespaces: string[]): string {
  return (
    [...new Set(namespaces)].sort().map(escapeLabelValue).join('|') || '.+'
  );
}

/**
 * One query per cluster, interval and metric that serves every Contour canary at once: the
 * Envoy cluster name `<namespace>_<service>-<canary|primary>_<port>` becomes the series key
 * `<namespace>_<service>-<side>` (ports summed, as Flagger's regex does).
 */
export function batchedContourQueries(
  interval: string,
  namespaces: string[],
): Record<BuiltinMetric, string> {
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
}

/**
 * The same for the kubernetes provider: pods `<workload>-<hash>-<id>` are grouped by
 * `<namespace>/<workload>`, which separates `<target>` from `<target>-primary` exactly as
 * Flagger's pod-name regex does.
 */
export function batchedHttpQueries(
  interval: string,
  namespaces: string[],
): Record<BuiltinMetric, string> {
  const scope = `kubernetes_namespace=~"${namespaceRegex(namespaces)}"`;
  const keyed = (expr: string) =>
    `label_replace(${expr}, "${GROUP_LABEL}", "$1", "kubernetes_pod_name", "(.+)-[0-9a-zA-Z]+-[0-9a-zA-Z]+")`;
  const range = escapeLabelValue(interval);
  return {
    'request-success-rate': `sum by (kubernetes_namespace, ${GROUP_LABEL}) (${keyed(
      `rate(http_request_duration_seconds_count{${scope},status!~"5.*"}[${range}])`,
    )}) / sum by (kubernetes_namespace, ${GROUP_LABEL}) (${keyed(
      `rate(http_request_duration_seconds_count{${scope}}[${range}])`,
    )}) * 100`,
    'request-duration': `histogram_quantile(0.99, sum by (le, kubernetes_namespace, ${GROUP_LABEL}) (${keyed(
      `rate(http_request_duration_seconds_bucket{${scope}}[${range}])`,
    )}))`,
  };
}

/** The key a batched series answers for. */
export function seriesKey(
  provider: BuiltinProvider,
  labels: Record<string, string>,
): string | undefined {
  const key = labels[GROUP_LABEL];
  if (!key) return undefined;
  return provider === 'contour' ? key : `${labels.kubernetes_namespace}/${key}`;
}

/** The keys of a canary's two sides in the batched answers. */
export function sideKeys(
  provider: BuiltinProvider,
  model: TemplateModel,
): { canary: string; primary: string } {
  return provider === 'contour'
    ? {
        canary: `${model.namespace}_${model.service}-canary`,
        primary: `${model.namespace}_${model.service}-primary`,
      }
    : {
        canary: `${model.namespace}/${model.target}`,
        primary: `${model.namespace}/${model.target}-primary`,
      };
}
