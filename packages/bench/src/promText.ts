/* Reading counters out of the Prometheus text exposition format (API server and Prometheus /metrics). */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseSamples(text: string, metricName?: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    if (metricName && !line.startsWith(metricName)) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match || (metricName && match[1] !== metricName)) continue;
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? '').matchAll(LABEL)) {
      labels[key] = raw.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: match[1], labels, value: Number(match[3]) });
  }
  return samples;
}

/** The sum of a counter's samples whose labels pass `filter`. */
export function sumCounter(
  text: string,
  metricName: string,
  filter: (labels: Record<string, string>) => boolean = () => true,
): number {
  return parseSamples(text, metricName)
    .filter(sample => filter(sample.labels))
    .reduce((sum, sample) => sum + sample.value, 0);
}

/**
 * API-server requests only the portal backend makes while the benchmark runs: reads of
 * Flagger's and Cartographer's resources and of Events. The sandbox's simulator reads and
 * writes Deployments, ReplicaSets, Pods and Services and Flagger is stopped, so these count the
 * backend's requests (plus the benchmark's own writes, which it never makes while measuring).
 */
export function isPortalOnlyRequest(labels: Record<string, string>): boolean {
  return (
    labels.group === 'flagger.app' ||
    labels.group === 'carto.run' ||
    (labels.group === '' && labels.resource === 'events') ||
    (labels.group === 'events.k8s.io' && labels.resource === 'events')
  );
}

/** Query (instant and range) requests Prometheus served. */
export function isPrometheusQuery(labels: Record<string, string>): boolean {
  return /^\/api\/v1\/query/.test(labels.handler ?? '');
}
