type Obj = Record<string, any>;

/** Escapes a value for use inside a double-quoted PromQL string (and its regex). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export interface TemplateModel {
  name: string;
  namespace: string;
  target: string;
  service: string;
  ingress: string;
  interval: string;
  variables: Record<string, string>;
}

export function templateModel(canary: Obj, interval: string, variables: Record<string, string> = {}): TemplateModel {
  const target = canary.spec?.targetRef?.name ?? '';
  return {
    name: canary.metadata?.name ?? '',
    namespace: canary.metadata?.namespace ?? '',
    target,
    service: canary.spec?.service?.name ?? target,
    ingress: canary.spec?.ingressRef?.name ?? '',
    interval,
    variables,
  };
}

/**
 * Renders a Flagger query template ({{ namespace }}, {{ target }}, {{ variables.x }} ...).
 * Values are escaped so a hostile label value cannot end the PromQL string it sits in.
 */
export function renderQuery(template: string, model: TemplateModel): string {
  const rendered = template.replace(/\{\{\s*([a-zA-Z]+)(?:\.([A-Za-z0-9_-]+))?\s*\}\}/g, (_whole, field, key) => {
    if (field === 'variables') {
      if (!(key in model.variables)) throw new Error(`template variable "${key}" is not set`);
      return escapeLabelValue(model.variables[key]);
    }
    if (!(field in model) || field === 'variables') throw new Error(`unknown template function "${field}"`);
    return escapeLabelValue(String((model as any)[field]));
  });
  return rendered.replace(/\s+/g, ' ').trim();
}

const CONTOUR = {
  'request-success-rate': `sum(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"{{ namespace }}_{{ service }}-SIDE_[0-9a-zA-Z-]+",envoy_response_code!~"5.*"}[{{ interval }}])) / sum(rate(envoy_cluster_upstream_rq{envoy_cluster_name=~"{{ namespace }}_{{ service }}-SIDE_[0-9a-zA-Z-]+"}[{{ interval }}])) * 100`,
  'request-duration': `histogram_quantile(0.99, sum(rate(envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name=~"{{ namespace }}_{{ service }}-SIDE_[0-9a-zA-Z-]+"}[{{ interval }}])) by (le))`,
};

const HTTP = {
  'request-success-rate': `sum(rate(http_request_duration_seconds_count{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}PODSIDE-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)",status!~"5.*"}[{{ interval }}])) / sum(rate(http_request_duration_seconds_count{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}PODSIDE-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[{{ interval }}])) * 100`,
  'request-duration': `histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{kubernetes_namespace="{{ namespace }}",kubernetes_pod_name=~"{{ target }}PODSIDE-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"}[{{ interval }}])) by (le)) * 1000`,
};

export type BuiltinProvider = 'contour' | 'kubernetes';

export function builtinProviderOf(canary: Obj): BuiltinProvider | undefined {
  const provider = canary.spec?.provider;
  if (provider === 'contour') return 'contour';
  if (provider === 'kubernetes' || provider?.startsWith?.('gatewayapi')) return 'kubernetes';
  return undefined;
}

/** The query Flagger runs for a builtin metric, for the canary side or (for charts) the primary. */
export function builtinQuery(
  provider: BuiltinProvider,
  metric: 'request-success-rate' | 'request-duration',
  model: TemplateModel,
  side: 'canary' | 'primary',
): string {
  const template =
    provider === 'contour'
      ? CONTOUR[metric].replace(/SIDE/g, side)
      : HTTP[metric].replace(/PODSIDE/g, side === 'primary' ? '-primary' : '');
  return renderQuery(template, model);
}

/** One query per cluster and interval serves every Contour canary: grouped by Envoy cluster. */
export function batchedContourQueries(interval: string) {
  const selector = `envoy_cluster_name=~".+_.+-(canary|primary)_[0-9a-zA-Z-]+"`;
  return {
    'request-success-rate': `sum by (envoy_cluster_name) (rate(envoy_cluster_upstream_rq{${selector},envoy_response_code!~"5.*"}[${interval}])) / sum by (envoy_cluster_name) (rate(envoy_cluster_upstream_rq{${selector}}[${interval}])) * 100`,
    'request-duration': `histogram_quantile(0.99, sum by (le, envoy_cluster_name) (rate(envoy_cluster_upstream_rq_time_bucket{${selector}}[${interval}])))`,
  };
}

/** Key of a Contour series: "<namespace>_<service>-<side>". */
export function contourKey(envoyClusterName: string): string | undefined {
  return /^(.+_.+-(?:canary|primary))_[0-9a-zA-Z-]+$/.exec(envoyClusterName)?.[1];
}

/** One query per cluster and interval for the kubernetes provider, grouped by workload. */
export function batchedHttpQueries(interval: string) {
  const workload = (expr: string) =>
    `label_replace(${expr}, "workload", "$1", "kubernetes_pod_name", "(.+)-[0-9a-zA-Z]+-[0-9a-zA-Z]+")`;
  return {
    'request-success-rate': `sum by (kubernetes_namespace, workload) (${workload(`rate(http_request_duration_seconds_count{status!~"5.*"}[${interval}])`)}) / sum by (kubernetes_namespace, workload) (${workload(`rate(http_request_duration_seconds_count[${interval}])`)}) * 100`,
    'request-duration': `histogram_quantile(0.99, sum by (le, kubernetes_namespace, workload) (${workload(`rate(http_request_duration_seconds_bucket[${interval}])`)})) * 1000`,
  };
}
